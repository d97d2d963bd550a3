from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "firstline.market"
    label = "market"
    verbose_name = "消费扶贫农产品"
