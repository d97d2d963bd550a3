from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "firstline.training"
    label = "training"
    verbose_name = "行业培训"
