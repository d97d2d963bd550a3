from django.apps import AppConfig


class SanitationConfig(AppConfig):
    name = "firstline.sanitation"
    label = "sanitation"
