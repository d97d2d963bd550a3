from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "firstline.reports"
    label = "reports"
