from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "firstline.geo"
    label = "geo"
