import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job", models.CharField(max_length=64, verbose_name="作业")),
                ("slot", models.DateTimeField(verbose_name="计划时间")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("running", "运行中"),
                            ("succeeded", "成功"),
                            ("failed", "失败，待重试"),
                            ("gave_up", "失败，已放弃"),
                        ],
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("token", models.UUIDField(default=uuid.uuid4, editable=False)),
                ("worker", models.CharField(blank=True, max_length=128, verbose_name="执行者")),
                ("attempts", models.PositiveSmallIntegerField(default=1, verbose_name="尝试次数")),
                ("failures", models.PositiveSmallIntegerField(default=0, verbose_name="失败次数")),
                ("started_at", models.DateTimeField(verbose_name="开始时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="结束时间")),
                ("duration_ms", models.PositiveIntegerField(blank=True, null=True, verbose_name="耗时（毫秒）")),
                ("result", models.TextField(blank=True, verbose_name="结果")),
                ("error", models.TextField(blank=True, verbose_name="错误")),
                ("traceback", models.TextField(blank=True, verbose_name="错误位置")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="下次重试")),
            ],
            options={
                "verbose_name": "定时作业运行",
                "verbose_name_plural": "定时作业运行",
                "ordering": ["-slot", "job"],
                "constraints": [
                    models.UniqueConstraint(fields=("job", "slot"), name="core_jobrun_job_slot_uniq")
                ],
            },
        ),
    ]
