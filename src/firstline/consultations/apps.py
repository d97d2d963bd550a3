from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "firstline.consultations"
    label = "consultations"
    verbose_name = "法律与政策咨询"
