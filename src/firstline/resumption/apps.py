from django.apps import AppConfig


class ResumptionConfig(AppConfig):
    name = "firstline.resumption"
    label = "resumption"
    verbose_name = "写字楼与商业复工"
