"""Isolation checks partitioned by month of their day on PostgreSQL
(core/partitions.py). Nothing happens on SQLite."""

from django.db import migrations

from firstline.core.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [("health", "0004_sms_messages")]

    operations = [PartitionByMonth("isolationcheck", "day")]
