from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "firstline.health"
    label = "health"
