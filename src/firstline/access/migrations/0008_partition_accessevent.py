"""Gate events partitioned by month of device time on PostgreSQL (core/partitions.py).
Nothing happens on SQLite."""

from django.db import migrations

from firstline.core.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [("access", "0007_event_keys_for_partitions")]

    operations = [PartitionByMonth("accessevent", "device_time")]
