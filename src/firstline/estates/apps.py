from django.apps import AppConfig


class EstatesConfig(AppConfig):
    name = "firstline.estates"
    label = "estates"
