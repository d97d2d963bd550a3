"""The worker's scheduler (core/scheduler.py): slots, exactly once with two workers at
once (PostgreSQL and SQLite), a missed slot runs once, failures are recorded and
retried, a dead worker's run is taken over, and old run records are purged.

Time moves with time-machine; nothing sleeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from firstline.core import scheduler
from firstline.core.models import JobRun
from firstline.core.scheduler import Daily, Every, Job, Scheduler
from firstline.core.tasks import purge_job_runs

SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = JobRun.Status

calls: list[str] = []
calls_lock = threading.Lock()


def counted(**kwargs) -> dict:
    with calls_lock:
        calls.append("counted")
    return {"done": 1, **kwargs}


def failing() -> None:
    with calls_lock:
        calls.append("failing")
    raise RuntimeError("the database said no")


flaky_failures = {"left": 0}


def flaky() -> str:
    with calls_lock:
        calls.append("flaky")
    if flaky_failures["left"] > 0:
        flaky_failures["left"] -= 1
        raise ValueError("not yet")
    return "fine"


@pytest.fixture(autouse=True)
def reset_calls():
    calls.clear()
    flaky_failures["left"] = 0
    yield
    calls.clear()


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def every5(fn=counted, **extra) -> Job:
    return Job("every5", fn, Every(minutes=5), **extra)


# --- slots ----------------------------------------------------------------------------


def test_every_counts_from_local_midnight():
    when, zone = Every(minutes=5), SHANGHAI
    assert when.latest(local(2020, 2, 3, 12, 7, 30), zone) == local(2020, 2, 3, 12, 5)
    assert when.latest(local(2020, 2, 3, 12, 5), zone) == local(2020, 2, 3, 12, 5)
    assert when.following(local(2020, 2, 3, 12, 5), zone) == local(2020, 2, 3, 12, 10)
    odd = Every(minutes=7)  # 1440 is no multiple of 7: the day's last slot is short
    assert odd.latest(local(2020, 2, 3, 23, 59), zone) == local(2020, 2, 3, 23, 55)
    assert odd.following(local(2020, 2, 3, 23, 55), zone) == local(2020, 2, 4, 0, 0)


def test_daily_is_read_in_the_jobs_time_zone():
    job = Job("d", counted, Daily(time(3, 0)))  # settings.TIME_ZONE: Asia/Shanghai
    assert job.latest_slot(local(2020, 2, 3, 2, 59)) == local(2020, 2, 2, 3, 0)
    assert job.latest_slot(local(2020, 2, 3, 3, 0)) == local(2020, 2, 3, 3, 0)
    assert job.next_slot(local(2020, 2, 3, 3, 0)) == local(2020, 2, 4, 3, 0)
    utc = Job("u", counted, Daily(time(3, 0)), time_zone="UTC")
    assert utc.latest_slot(local(2020, 2, 3, 12, 0)) == datetime(2020, 2, 3, 3, 0, tzinfo=UTC)


def test_what_names_the_callable():
    assert every5().what == "firstline.core.tests.test_scheduler.counted"
    assert Job("p", "a.b.c", Every(minutes=1)).what == "a.b.c"
    assert Job("t", purge_job_runs, Every(minutes=1)).what == "firstline.core.tasks.purge_job_runs"


def test_a_task_made_by_the_rq_backend_runs_in_process_too():
    """With REDIS_URL the tasks are the django_tasks backport's Task (django-tasks-rq),
    not django.tasks': the scheduler runs either with `call`."""

    class BackportTask:
        func = staticmethod(counted)
        module_path = "firstline.core.tests.test_scheduler.counted"

        def call(self, **kwargs):
            return self.func(**kwargs)

    job = Job("rq", BackportTask(), Every(minutes=1), kwargs={"n": 2})
    assert job.call() == {"done": 1, "n": 2}
    assert job.what == "firstline.core.tests.test_scheduler.counted"


# --- one worker -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_due_slot_runs_once_and_records_result_and_duration():
    job = every5(kwargs={"site": 7})
    with time_machine.travel(local(2020, 2, 3, 12, 6), tick=False):
        [run] = Scheduler([job], worker="w1").tick()
        assert Scheduler([job], worker="w2").tick() == []  # the slot is taken
    run.refresh_from_db()
    assert (run.job, run.slot, run.status) == ("every5", local(2020, 2, 3, 12, 5), Status.SUCCEEDED)
    assert run.result == "done=1, site=7"
    assert run.duration_ms is not None and run.duration_ms >= 0
    assert run.worker == "w1" and run.attempts == 1 and run.failures == 0
    assert calls == ["counted"]

    with time_machine.travel(local(2020, 2, 3, 12, 10, 1), tick=False):
        [nxt] = Scheduler([job]).tick()
    assert nxt.slot == local(2020, 2, 3, 12, 10)
    assert calls == ["counted", "counted"]


@pytest.mark.django_db
def test_a_missed_slot_runs_once_after_downtime():
    job = every5()
    with time_machine.travel(local(2020, 2, 3, 10, 0), tick=False):
        Scheduler([job]).tick()
    # No worker ran from 10:00 to 13:07: 37 slots missed; only the latest runs, once.
    with time_machine.travel(local(2020, 2, 3, 13, 7), tick=False):
        [run] = Scheduler([job]).tick()
        assert Scheduler([job]).tick() == []
    assert run.slot == local(2020, 2, 3, 13, 5)
    assert list(JobRun.objects.values_list("slot", flat=True).order_by("slot")) == [
        local(2020, 2, 3, 10, 0),
        local(2020, 2, 3, 13, 5),
    ]
    assert calls == ["counted", "counted"]


@pytest.mark.django_db
def test_a_daily_job_first_started_late_runs_the_days_slot_once():
    job = Job("nightly", counted, Daily(time(3, 0)))
    with time_machine.travel(local(2020, 2, 3, 15, 0), tick=False):
        [run] = Scheduler([job]).tick()
    assert run.slot == local(2020, 2, 3, 3, 0)
    with time_machine.travel(local(2020, 2, 4, 2, 59), tick=False):
        assert Scheduler([job]).tick() == []
    with time_machine.travel(local(2020, 2, 4, 3, 0, 4), tick=False):
        [run] = Scheduler([job]).tick()
    assert run.slot == local(2020, 2, 4, 3, 0)


@pytest.mark.django_db
def test_a_failure_is_recorded_and_retried_with_backoff_then_given_up():
    job = every5(failing, max_attempts=3)
    start = local(2020, 2, 3, 12, 0, 10)
    with time_machine.travel(start, tick=False):
        [run] = Scheduler([job]).tick()
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == "RuntimeError: the database said no"
    assert "in failing" in run.traceback and "raise RuntimeError" in run.traceback
    assert run.next_attempt_at == start + timedelta(minutes=1)
    assert (run.attempts, run.failures) == (1, 1)

    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert Scheduler([job]).tick() == []  # not yet
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        [retry] = Scheduler([job]).tick()
    assert retry.pk == run.pk and retry.attempts == 2 and retry.status == Status.FAILED
    retry.refresh_from_db()
    assert retry.next_attempt_at == start + timedelta(minutes=3)  # 1 + 2 minutes
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        [last] = Scheduler([job]).tick()
    last.refresh_from_db()
    assert (last.status, last.attempts, last.failures) == (Status.GAVE_UP, 3, 3)
    assert last.next_attempt_at is None
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        assert Scheduler([job]).tick() == []
    assert calls == ["failing"] * 3
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_a_retry_that_succeeds_keeps_the_count_of_failures():
    flaky_failures["left"] = 1
    job = Job("flaky", flaky, Daily(time(3, 0)))
    start = local(2020, 2, 3, 3, 0, 2)
    with time_machine.travel(start, tick=False):
        Scheduler([job]).tick()
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        [run] = Scheduler([job]).tick()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.failures, run.result) == (
        Status.SUCCEEDED,
        2,
        1,
        "fine",
    )


@pytest.mark.django_db
def test_a_later_slot_supersedes_a_failed_one():
    job = every5(failing, retry_after=timedelta(minutes=10))
    with time_machine.travel(local(2020, 2, 3, 12, 0, 5), tick=False):
        [first] = Scheduler([job]).tick()
    with time_machine.travel(local(2020, 2, 3, 12, 5, 5), tick=False):
        [second] = Scheduler([job]).tick()
    first.refresh_from_db()
    assert second.slot == local(2020, 2, 3, 12, 5)
    assert first.status == Status.GAVE_UP and first.next_attempt_at is None


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_taken_over_after_the_timeout():
    job = Job("nightly", counted, Daily(time(3, 0)), timeout=timedelta(minutes=30))
    slot = local(2020, 2, 3, 3, 0)
    JobRun.objects.create(
        job="nightly", slot=slot, status=Status.RUNNING, worker="gone:1", started_at=slot
    )
    with time_machine.travel(slot + timedelta(minutes=29), tick=False):
        assert Scheduler([job]).tick() == []  # may still be running
    with time_machine.travel(slot + timedelta(minutes=31), tick=False):
        [run] = Scheduler([job], worker="w2").tick()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.failures, run.worker) == (
        Status.SUCCEEDED,
        2,
        1,
        "w2",
    )
    assert calls == ["counted"]


@pytest.mark.django_db
def test_a_job_does_not_overlap_itself():
    job = every5()
    JobRun.objects.create(
        job="every5",
        slot=local(2020, 2, 3, 12, 0),
        status=Status.RUNNING,
        worker="busy:1",
        started_at=local(2020, 2, 3, 12, 0),
    )
    with time_machine.travel(local(2020, 2, 3, 12, 6), tick=False):
        assert Scheduler([job]).tick() == []
    JobRun.objects.update(status=Status.SUCCEEDED)
    with time_machine.travel(local(2020, 2, 3, 12, 7), tick=False):
        [run] = Scheduler([job]).tick()
    assert run.slot == local(2020, 2, 3, 12, 5)


@pytest.mark.django_db
def test_old_runs_are_purged_but_each_jobs_newest_stays():
    old = local(2020, 1, 1, 3, 0)
    for job, slot in [("a", old), ("a", old + timedelta(days=1)), ("b", old)]:
        JobRun.objects.create(job=job, slot=slot, status=Status.SUCCEEDED, started_at=slot)
    with time_machine.travel(local(2020, 3, 1, 4, 40), tick=False):
        assert purge_job_runs.call(days=30) == 1
    assert sorted(JobRun.objects.values_list("job", "slot")) == [
        ("a", old + timedelta(days=1)),
        ("b", old),
    ]


# --- two workers at once ----------------------------------------------------------------


def _two_workers_at_once(monkeypatch) -> list[list[JobRun]]:
    """Two schedulers, each on its own thread and database connection, both past the
    read of the job's newest run before either inserts: both try to claim the slot."""
    job = every5()
    both_read = threading.Barrier(2, timeout=10)
    insert = scheduler._insert_claim

    def insert_together(**kwargs):
        both_read.wait()
        return insert(**kwargs)

    monkeypatch.setattr(scheduler, "_insert_claim", insert_together)
    ran: list[list[JobRun]] = [[], []]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            ran[i] = Scheduler([job], worker=f"w{i}").tick()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(local(2020, 2, 3, 12, 6), tick=False):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    return ran


def _assert_one_run(ran: list[list[JobRun]]) -> None:
    assert sorted(len(r) for r in ran) == [0, 1]
    assert calls == ["counted"]
    [row] = JobRun.objects.all()
    assert row.slot == local(2020, 2, 3, 12, 5) and row.status == Status.SUCCEEDED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL variant")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_slot_once_on_postgresql(monkeypatch):
    _assert_one_run(_two_workers_at_once(monkeypatch))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_slot_once_on_sqlite(monkeypatch):
    _assert_one_run(_two_workers_at_once(monkeypatch))


@pytest.mark.django_db(transaction=True)
def test_two_workers_retrying_one_failed_run_retry_it_once():
    """The retry is claimed with a conditional UPDATE on the row's token: of two
    workers that both saw the failed run, one takes it."""
    job = every5()
    slot = local(2020, 2, 3, 12, 5)
    failed = JobRun.objects.create(
        job="every5",
        slot=slot,
        status=Status.FAILED,
        started_at=slot,
        failures=1,
        next_attempt_at=slot + timedelta(minutes=1),
    )
    now = slot + timedelta(minutes=2)
    first = Scheduler([job], worker="w1")._retry(job, failed, now)
    second = Scheduler([job], worker="w2")._retry(job, failed, now)  # saw the same row
    assert first is not None and first.worker == "w1" and first.attempts == 2
    assert second is None


@pytest.mark.django_db(transaction=True)
def test_the_loop_runs_due_jobs_in_its_pool_and_stops():
    """run_forever in a thread, as `manage worker` runs it: the due slot runs and the
    loop stops when asked, waiting for the run under way."""
    job = every5()
    stop = threading.Event()
    loop = threading.Thread(target=Scheduler([job]).run_forever, args=(stop,))
    loop.start()
    try:
        for _ in range(200):
            if JobRun.objects.filter(status=Status.SUCCEEDED).exists():
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
    assert calls == ["counted"]


WORKER_JOBS = [Job("every5", counted, Every(minutes=5))]


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_runs_the_scheduler_beside_the_task_worker(monkeypatch, settings):
    """`manage worker` (what `./firstline worker` and `demo` run): the scheduler's thread
    runs while the backend's worker loop runs in the main thread, and stops with it."""
    from django.core.management import call_command

    from firstline.core.management.commands import worker as command

    settings.FIRSTLINE_SCHEDULE = "firstline.core.tests.test_scheduler.WORKER_JOBS"
    backend: list[str] = []

    def task_worker(name, *args):  # stands in for db_worker: returns once a slot ran
        backend.append(name)
        for _ in range(200):
            if JobRun.objects.filter(status=Status.SUCCEEDED).exists():
                return
            threading.Event().wait(0.05)

    monkeypatch.setattr(command, "call_command", task_worker)
    call_command("worker", "--grace", "10")
    assert backend == ["db_worker"]
    assert calls == ["counted"]
    assert not [t for t in threading.enumerate() if t.name == "scheduler"]
