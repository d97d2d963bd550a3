from django.apps import AppConfig


class ProduceConfig(AppConfig):
    name = "firstline.produce"
    label = "produce"
    verbose_name = "消费扶贫农产品"
