"""The periodic jobs' page (core.views.JobList, /system/jobs/): the association admin's
only; it shows each job's last run, duration, result, failures and next run. A refusal
is logged as one line."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from firstline.core.models import JobRun
from firstline.core.scheduler import Daily, Every, Job, job_overview

SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = JobRun.Status
NOW = datetime(2020, 2, 3, 12, 7, tzinfo=SHANGHAI)

PAGE_JOBS = [
    Job("tick", "firstline.core.tasks.purge_job_runs", Every(minutes=5), "每五分钟"),
    Job("nightly", "firstline.core.tasks.purge_task_progress", Daily(time(3, 0)), "夜间"),
    Job("never", "firstline.core.tasks.purge_task_progress", Daily(time(4, 0)), "从未运行"),
]


@pytest.fixture
def page_jobs(settings):
    settings.FIRSTLINE_SCHEDULE = "firstline.core.tests.test_jobs_page.PAGE_JOBS"


@pytest.fixture
def runs(db):
    def add(job, slot, **fields):
        return JobRun.objects.create(job=job, slot=slot, started_at=slot, **fields)

    day = datetime(2020, 2, 3, tzinfo=SHANGHAI)
    add("tick", day.replace(hour=12), status=Status.SUCCEEDED, duration_ms=40, result="x=1")
    add(
        "tick",
        day.replace(hour=12, minute=5),
        status=Status.SUCCEEDED,
        duration_ms=1234,
        result="missed_check_alerts=2, daily_count_rows=9",
        finished_at=day.replace(hour=12, minute=5, second=2),
    )
    add(
        "nightly",
        day.replace(hour=3),
        status=Status.FAILED,
        attempts=2,
        failures=2,
        duration_ms=15,
        error="RuntimeError: disk full",
        traceback='  File "purge.py", line 3, in purge\n',
        next_attempt_at=day.replace(hour=12, minute=9),
    )
    add(
        "nightly",
        day.replace(hour=3) - timedelta(days=1),
        status=Status.SUCCEEDED,
        finished_at=day.replace(hour=3, minute=1) - timedelta(days=1),
    )


def login(client, user) -> None:
    client.force_login(user)  # the world fixture's users; core imports no app


def test_anonymous_goes_to_login(client, db):
    response = client.get(reverse("scheduled_jobs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "role",
    [
        "company_admin",
        "site_manager",
        "guard",
        "cleaner",
        "health_officer",
        "resident",
        "authority_viewer",
        "no_role",
    ],
)
def test_other_roles_are_refused(client, world, role):
    user = world.a.users.get(role) or world.users[role]
    login(client, user)
    assert client.get(reverse("scheduled_jobs")).status_code == 403
    assert reverse("scheduled_jobs") not in client.get(reverse("dashboard")).content.decode()


def test_association_admin_sees_each_jobs_figures(client, world, page_jobs, runs):
    login(client, world.users["association_admin"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("scheduled_jobs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("scheduled_jobs")}"' in html  # the navigation's link

    by_name = {s.job.name: s for s in response.context["jobs"]}
    assert list(by_name) == ["tick", "nightly", "never"]
    tick, nightly, never = by_name["tick"], by_name["nightly"], by_name["never"]
    assert tick.last.slot == datetime(2020, 2, 3, 12, 5, tzinfo=SHANGHAI)
    assert (tick.last.duration_ms, tick.failures, tick.waiting) == (1234, 0, False)
    assert tick.next_run == datetime(2020, 2, 3, 12, 10, tzinfo=SHANGHAI)
    assert nightly.last.status == Status.FAILED and nightly.failures == 2
    assert nightly.next_run == datetime(2020, 2, 3, 12, 9, tzinfo=SHANGHAI)  # the retry
    assert nightly.last_success_at == datetime(2020, 2, 2, 3, 1, tzinfo=SHANGHAI)
    assert never.last is None and never.waiting  # 04:00 has passed and nothing ran it
    assert never.next_run == datetime(2020, 2, 3, 4, 0, tzinfo=SHANGHAI)

    for text in [
        "1234 ms",
        "missed_check_alerts=2, daily_count_rows=9",
        "2020-02-03 12:10",  # next run of tick
        "RuntimeError: disk full",
        "2020-02-03 12:09",  # nightly's retry
        "2020-02-02 03:01",  # nightly's last success
        "每 5 分钟",
        "每天 03:00",
        "Asia/Shanghai",
    ]:
        assert text in html, text


def test_the_overview_reads_in_a_fixed_number_of_queries(
    django_assert_num_queries, page_jobs, runs
):
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(4):
        assert len(job_overview(jobs=PAGE_JOBS)) == 3


def test_a_refusal_is_logged_as_one_line(client, world, caplog):
    login(client, world.a.users["guard"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("scheduled_jobs")).status_code == 403
        assert client.get("/no-such-page/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.status_code for r in records] == [403, 404]
    assert all(r.exc_info is None for r in records)
    assert records[0].getMessage() == "Forbidden (Permission denied): /system/jobs/"


def test_the_page_speaks_english_too(client, world, page_jobs, runs):
    login(client, world.users["association_admin"])
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("scheduled_jobs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ["Periodic jobs", "every 5 minutes", "daily at 03:00", "Failed, will retry"]:
        assert text in html, text
