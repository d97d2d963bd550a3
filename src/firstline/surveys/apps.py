from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "firstline.surveys"
    label = "surveys"
