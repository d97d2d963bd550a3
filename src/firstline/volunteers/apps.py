from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "firstline.volunteers"
    label = "volunteers"
    verbose_name = "志愿者与一线保障"
