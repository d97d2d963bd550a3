from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "firstline.supplies"
    label = "supplies"
