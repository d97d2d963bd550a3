from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "firstline.notices"
    label = "notices"
