from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "firstline.health"
    label = "health"

    def ready(self):
        from firstline.core import partitions

        # Two checks a case a day. Declarations are not partitioned: "one current
        # declaration per resident" is a unique index that cannot hold the month
        # (docs/architecture.md).
        partitions.register("health.IsolationCheck", "day")
