from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "firstline.orgs"
    label = "orgs"
