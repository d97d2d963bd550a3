from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "firstline.access"
    label = "access"

    def ready(self):
        from firstline.core import partitions

        # Two million gate events a day in a city: by month, dropped whole (retention.py).
        partitions.register("access.AccessEvent", "device_time")
