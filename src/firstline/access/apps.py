from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "firstline.access"
    label = "access"
