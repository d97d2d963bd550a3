from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _task_types(sender, **kwargs):
    """The support task types are reference rows (migration 0002 writes them); a
    flushed database (tests that truncate tables emit post_migrate) gets them back."""
    from firstline.volunteers.services.support import task_types_install

    task_types_install()


class VolunteersConfig(AppConfig):
    name = "firstline.volunteers"
    label = "volunteers"
    verbose_name = "志愿者与一线保障"

    def ready(self):
        post_migrate.connect(_task_types, sender=self, dispatch_uid="volunteers-task-types")
