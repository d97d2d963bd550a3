from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "firstline.jobs"
    label = "jobs"
    verbose_name = "毕业生网络招聘会"
