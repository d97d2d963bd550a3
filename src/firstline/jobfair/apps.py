from django.apps import AppConfig


class JobfairConfig(AppConfig):
    name = "firstline.jobfair"
    label = "jobfair"
    verbose_name = "毕业生网络招聘会"
