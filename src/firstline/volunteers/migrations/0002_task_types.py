from django.db import migrations


def install(apps, schema_editor):
    from firstline.volunteers.services.library import TASK_TYPES

    TaskType = apps.get_model("volunteers", "TaskType")
    for row in TASK_TYPES:
        TaskType.objects.update_or_create(kind=row["kind"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
