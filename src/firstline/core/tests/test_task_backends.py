"""A task goes through the configured production backend and a real worker:
django-tasks-db's db_worker, or RQ (a SimpleWorker, in burst mode) when REDIS_URL is set."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from firstline.core.models import TaskProgress
from firstline.core.tasks import purge_task_progress


@pytest.fixture
def production_tasks(settings):
    settings.TASKS = django_settings.PRODUCTION_TASKS
    if "RQ" in settings.TASKS["default"]["BACKEND"]:
        import django_rq

        django_rq.get_queue("default").empty()


def run_worker(backend: str) -> None:
    if "RQ" in backend:
        call_command(
            "rqworker",
            "default",
            "--burst",
            "--worker-class",
            "rq.worker.SimpleWorker",
            "--job-class",
            "django_tasks_rq.backend.Job",
        )
    else:
        call_command("db_worker", "--batch", "--no-startup-delay")


@pytest.mark.django_db(transaction=True)
def test_enqueued_task_runs_in_the_worker(production_tasks, settings, django_user_model):
    owner = django_user_model.objects.create_user(username="owner", password="x" * 12)
    old = TaskProgress.objects.create(
        owner=owner, kind="import", status=TaskProgress.Status.SUCCEEDED
    )
    TaskProgress.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=40))
    fresh = TaskProgress.objects.create(
        owner=owner, kind="import", status=TaskProgress.Status.SUCCEEDED
    )

    result = purge_task_progress.enqueue(days=30)
    assert TaskProgress.objects.count() == 2  # nothing ran yet: it waits for the worker
    run_worker(settings.TASKS["default"]["BACKEND"])

    assert list(TaskProgress.objects.values_list("pk", flat=True)) == [fresh.pk]
    result.refresh()
    assert result.return_value == 1
