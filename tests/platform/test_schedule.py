"""The platform's periodic jobs (firstline/schedule.py): declared once, each runs what
its management command runs, and the worker's scheduler can run every one."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import get_commands
from django.urls import reverse

from firstline.core.models import JobRun
from firstline.core.scheduler import Daily, Every, Scheduler, declared_jobs
from firstline.testing.world import PASSWORD, build_world

EXPECTED = {
    "health_tick": Every(minutes=5),
    "sanitation_tick": Every(minutes=5),
    "reports_tick": Every(minutes=5),
    "reports_deliver": Every(minutes=1),
    "publishing_scheduled": Every(minutes=1),
    "publishing_reading_fold": Daily(time(0, 30)),
    "publishing_search_compact": Daily(time(1, 30)),
    "partitions_ahead": Daily(time(2, 40)),
    "purge_health_data": Daily(time(3, 0)),
    "purge_gate_data": Daily(time(3, 20)),
    "supplies_verify": Daily(time(4, 0)),
    "surveys_remind": Daily(time(9, 0)),
    "purge_survey_exports": Every(minutes=60),
    "volunteers_tick": Every(minutes=5),
    "consultations_tick": Every(minutes=5),
    "training_tick": Every(minutes=15),
    "market_tick": Every(minutes=5),
    "purge_task_progress": Daily(time(4, 30)),
    "purge_job_runs": Daily(time(4, 40)),
}


def test_the_schedule_is_the_one_settings_names():
    assert settings.FIRSTLINE_SCHEDULE == "firstline.schedule.JOBS"
    jobs = declared_jobs()
    assert {job.name: job.when for job in jobs} == EXPECTED
    for job in jobs:
        assert callable(job.target()), job.name
        assert job.zone == ZoneInfo(settings.TIME_ZONE)
        assert str(job.description), job.name


def test_each_job_with_a_command_runs_the_commands_code():
    """The commands stay, thin: a job of the same name exists for each periodic command."""
    commands = get_commands()
    # publishing_scheduled is Wagtail's own `publish_scheduled` command, run as a job.
    without = {"purge_task_progress", "purge_job_runs", "publishing_scheduled"}
    for name in EXPECTED.keys() - without:
        assert name in commands, name


@pytest.mark.django_db
def test_the_scheduler_runs_every_declared_job_on_an_empty_world():
    with time_machine.travel(datetime(2020, 2, 3, 12, 6, tzinfo=ZoneInfo("Asia/Shanghai"))):
        runs = Scheduler().tick()
    assert sorted(run.job for run in runs) == sorted(EXPECTED)
    failed = {run.job: run.error for run in runs if run.status != JobRun.Status.SUCCEEDED}
    assert failed == {}


@pytest.mark.django_db
def test_the_jobs_page_lists_the_declared_jobs(client):
    world = build_world()
    assert client.login(username=world.users["association_admin"].username, password=PASSWORD)
    html = client.get(reverse("scheduled_jobs")).content.decode()
    for name in EXPECTED:
        assert f'data-job="{name}"' in html
