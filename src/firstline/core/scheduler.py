"""The worker's built-in scheduler: periodic jobs, each slot run exactly once however
many workers run.

What runs and when is declared in one place, `firstline/schedule.py` (a composition
root beside api.py and urls.py, so it may name every app's job). Core imports no app:
it reads that list at run time through `settings.FIRSTLINE_SCHEDULE`.

- A `Job` is what (a Django Task, a callable, or the dotted path of either) + when
  (`Every(minutes=N)`, counted from local midnight; `Daily(time(3, 0))`) + the time
  zone "when" is read in (settings.TIME_ZONE unless the job names one).
- Slots. At any moment a job has one latest due slot: the last N-minute mark, or the
  last daily time. A worker claims it by inserting the (job, slot) row of `JobRun`
  with ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite) and reading back its own
  token: the unique constraint lets exactly one insert in, so exactly one worker runs
  the slot. After downtime the latest slot runs, once; the slots missed before it are
  not made up (every job brings things up to date, so one run covers them).
- A job does not overlap itself: while its newest run is RUNNING (and younger than
  the job's timeout) no later slot is claimed; the latest one is, when it ends.
- Failures: the error and the last frames of its traceback are stored on the run,
  and the same row is retried after 1, 2, 4 … minutes (at most an hour apart) until
  `max_attempts`, then it is given up. Each retry is claimed with a conditional UPDATE
  on the row's token (one winner). A later slot supersedes a failed one.
- A worker that died mid-run leaves a RUNNING row; past the job's timeout it counts as
  a failed attempt and is retried like one.
- Duration, result (a short summary of what the job returned), worker and times are
  recorded; `job_overview` reads them for the jobs page (core.views.JobList).

`start()` runs the loop in a thread of `manage worker`, beside db_worker or rqworker:
every few seconds it claims what is due and hands each run to a small thread pool,
so a long purge does not hold up the five-minute jobs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
import time as clock
import traceback
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connections
from django.db.models import F, Max, Q, Sum
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firstline.core.models import JobRun

logger = logging.getLogger(__name__)
Status = JobRun.Status

TICK_SECONDS = 5.0  # how often the loop looks for due slots
POOL_SIZE = 4  # jobs running at once in one worker
MAX_BACKOFF = timedelta(hours=1)
RESULT_CHARS = 1000
ERROR_CHARS = 1000
TRACEBACK_FRAMES = 8
FAILURE_WINDOW = timedelta(days=7)  # the page's failure count


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` o'clock on `day` in `zone`, as a UTC instant."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Every:
    """Every N minutes, counted from local midnight (5 → 00:00, 00:05 …)."""

    minutes: int

    def __post_init__(self):
        if not 1 <= self.minutes <= 24 * 60:
            raise ValueError("Every(minutes) takes 1 to 1440")

    def latest(self, now: datetime, zone: ZoneInfo) -> datetime:
        midnight = _at(timezone.localtime(now, zone).date(), time(0), zone)
        step = timedelta(minutes=self.minutes)
        return midnight + step * ((now - midnight) // step)

    def following(self, slot: datetime, zone: ZoneInfo) -> datetime:
        tomorrow = _at(timezone.localtime(slot, zone).date() + timedelta(days=1), time(0), zone)
        return min(slot + timedelta(minutes=self.minutes), tomorrow)

    def default_timeout(self) -> timedelta:
        return max(timedelta(minutes=10), 3 * timedelta(minutes=self.minutes))

    def __str__(self) -> str:
        return ngettext("每 %(n)d 分钟", "每 %(n)d 分钟", self.minutes) % {"n": self.minutes}


@dataclass(frozen=True)
class Daily:
    """Once a day at a local time."""

    at: time

    def latest(self, now: datetime, zone: ZoneInfo) -> datetime:
        today = timezone.localtime(now, zone).date()
        slot = _at(today, self.at, zone)
        return slot if slot <= now else _at(today - timedelta(days=1), self.at, zone)

    def following(self, slot: datetime, zone: ZoneInfo) -> datetime:
        return _at(timezone.localtime(slot, zone).date() + timedelta(days=1), self.at, zone)

    def default_timeout(self) -> timedelta:
        return timedelta(hours=2)

    def __str__(self) -> str:
        return _("每天 %(at)s") % {"at": self.at.strftime("%H:%M")}


@dataclass(frozen=True, eq=False)
class Job:
    """One periodic job. `run` is called with `kwargs` and no other argument."""

    name: str
    run: Task | Callable | str
    when: Every | Daily
    description: str = ""
    time_zone: str = ""  # settings.TIME_ZONE when empty
    kwargs: dict = field(default_factory=dict)
    max_attempts: int = 5
    retry_after: timedelta = timedelta(minutes=1)
    timeout: timedelta | None = None  # a RUNNING attempt older than this is lost

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)

    @property
    def lease(self) -> timedelta:
        return self.timeout or self.when.default_timeout()

    def latest_slot(self, now: datetime) -> datetime:
        """The last slot due at `now` (at or before it)."""
        return self.when.latest(now, self.zone)

    def next_slot(self, now: datetime) -> datetime:
        """The first slot after `now`."""
        return self.when.following(self.latest_slot(now), self.zone)

    def backoff(self, failures: int) -> timedelta:
        return min(self.retry_after * 2 ** max(failures - 1, 0), MAX_BACKOFF)

    def target(self) -> Callable:
        what = import_string(self.run) if isinstance(self.run, str) else self.run
        if _is_task(what):
            return what.call
        if not callable(what):
            raise ImproperlyConfigured(f"job {self.name}: {self.run!r} is not callable")
        return what

    @property
    def what(self) -> str:
        """The dotted path of what runs, for the page."""
        if isinstance(self.run, str):
            return self.run
        if _is_task(self.run):
            return self.run.module_path
        return f"{self.run.__module__}.{self.run.__qualname__}"

    def call(self):
        return self.target()(**self.kwargs)


def _is_task(what) -> bool:
    """A Django Task: django.tasks' own, or the django_tasks backport's that the RQ
    backend (django-tasks-rq) makes; both run their function in-process with `call`."""
    return isinstance(what, Task) or (
        callable(getattr(what, "call", None)) and hasattr(what, "func") and not callable(what)
    )


def declared_jobs() -> list[Job]:
    """The declarations named by settings.FIRSTLINE_SCHEDULE (firstline.schedule.JOBS)."""
    jobs = list(import_string(settings.FIRSTLINE_SCHEDULE))
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured(f"two periodic jobs share a name: {sorted(names)}")
    return jobs


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- what a run records -------------------------------------------------------------


def _plain(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def summarise(value) -> str:
    """What a job returned, in one short line: `key=value, …` for a dict or a dataclass."""
    if value is None:
        return ""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        text = ", ".join(f"{key}={_plain(item)}" for key, item in value.items())
    else:
        text = _plain(value)
    return text[:RESULT_CHARS]


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


def _where(exc: BaseException) -> str:
    """The last frames of the traceback: file, line, function and the line's code."""
    frames = traceback.extract_tb(exc.__traceback__)[-TRACEBACK_FRAMES:]
    return "".join(traceback.format_list(frames))[-4000:]


# --- claiming and running -----------------------------------------------------------


def _insert_claim(*, job: Job, slot: datetime, worker: str, now: datetime) -> JobRun | None:
    """Insert the slot's row unless another worker has: INSERT … ON CONFLICT DO NOTHING,
    then read back the row with our token. None: someone else holds the slot."""
    token = uuid.uuid4()
    JobRun.objects.bulk_create(
        [
            JobRun(
                job=job.name,
                slot=slot,
                status=Status.RUNNING,
                token=token,
                worker=worker,
                started_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return JobRun.objects.filter(job=job.name, slot=slot, token=token).first()


class Scheduler:
    """Claims due slots and runs them. Many may run against one database at once."""

    def __init__(self, jobs: Iterable[Job] | None = None, *, worker: str | None = None):
        self._jobs = list(jobs) if jobs is not None else None
        self.worker = worker or worker_name()
        self._busy: dict[str, Future] = {}

    @property
    def jobs(self) -> list[Job]:
        return self._jobs if self._jobs is not None else declared_jobs()

    # -- claiming --------------------------------------------------------------------

    def due(self, now: datetime | None = None) -> list[tuple[Job, JobRun]]:
        """Claim what is due at `now`: each job's latest slot if no worker has it yet,
        or its failed run when the retry is due. The claimed runs are ours to run."""
        now = now or timezone.now()
        claimed = []
        for job in self.jobs:
            busy = self._busy.get(job.name)
            if busy is not None and not busy.done():
                continue  # still running in this worker
            try:
                run = self._claim(job, now)
            except Exception:  # the database may be away for a moment: next tick
                logger.exception("scheduler: could not claim a slot of %s", job.name)
                continue
            if run is not None:
                claimed.append((job, run))
        return claimed

    def _claim(self, job: Job, now: datetime) -> JobRun | None:
        slot = job.latest_slot(now)
        newest = JobRun.objects.filter(job=job.name).order_by("-slot").first()
        if newest is not None and newest.slot >= slot:
            return self._retry(job, newest, now)
        if (
            newest is not None
            and newest.status == Status.RUNNING
            and newest.started_at > now - job.lease
        ):
            return None  # the job does not overlap itself
        run = _insert_claim(job=job, slot=slot, worker=self.worker, now=now)
        if run is not None and newest is not None:
            self._supersede(newest)
        return run

    def _supersede(self, older: JobRun) -> None:
        """A later slot has been claimed: a failed run is not retried any more, and a
        run whose worker died counts as one more failure."""
        JobRun.objects.filter(pk=older.pk, token=older.token, status=Status.FAILED).update(
            status=Status.GAVE_UP, next_attempt_at=None
        )
        JobRun.objects.filter(pk=older.pk, token=older.token, status=Status.RUNNING).update(
            status=Status.GAVE_UP,
            failures=F("failures") + 1,
            error=_("执行者中途退出，未完成。"),
            traceback="",
        )

    def _retry(self, job: Job, run: JobRun, now: datetime) -> JobRun | None:
        if (
            run.status == Status.FAILED
            and run.next_attempt_at is not None
            and run.next_attempt_at <= now
        ):
            lost = False
        elif run.status == Status.RUNNING and run.started_at <= now - job.lease:
            lost = True  # its worker died (or the run outlived the job's timeout)
        else:
            return None
        same = JobRun.objects.filter(pk=run.pk, token=run.token, status=run.status)
        lost_fields = {
            "failures": F("failures") + 1,
            "error": _("执行者中途退出，未完成。"),
            "traceback": "",
        }
        if lost and run.attempts >= job.max_attempts:
            same.update(status=Status.GAVE_UP, finished_at=now, **lost_fields)
            return None
        token = uuid.uuid4()
        won = same.update(
            status=Status.RUNNING,
            token=token,
            worker=self.worker,
            attempts=F("attempts") + 1,
            started_at=now,
            finished_at=None,
            duration_ms=None,
            next_attempt_at=None,
            **(lost_fields if lost else {}),
        )
        return JobRun.objects.get(pk=run.pk) if won else None

    # -- running ---------------------------------------------------------------------

    def execute(self, job: Job, run: JobRun) -> JobRun:
        """Run a claimed slot and record how it went (only while our claim holds)."""
        started = clock.perf_counter()
        try:
            value = job.call()
        except Exception as exc:
            failures = run.failures + 1
            gave_up = run.attempts >= job.max_attempts
            logger.error(
                "scheduler: %s (slot %s) failed, attempt %d of %d",
                job.name,
                timezone.localtime(run.slot, job.zone).isoformat(timespec="minutes"),
                run.attempts,
                job.max_attempts,
                exc_info=True,
            )
            fields = {
                "status": Status.GAVE_UP if gave_up else Status.FAILED,
                "failures": failures,
                "error": _error(exc),
                "traceback": _where(exc),
                "result": "",
                "next_attempt_at": None if gave_up else timezone.now() + job.backoff(failures),
            }
        else:
            fields = {"status": Status.SUCCEEDED, "result": summarise(value)}
        fields["duration_ms"] = round((clock.perf_counter() - started) * 1000)
        fields["finished_at"] = timezone.now()
        JobRun.objects.filter(pk=run.pk, token=run.token).update(**fields)
        for name, recorded in fields.items():
            setattr(run, name, recorded)
        if run.status == Status.SUCCEEDED:
            logger.info(
                "scheduler: %s done in %d ms: %s", job.name, run.duration_ms, run.result or "-"
            )
        return run

    def tick(self, now: datetime | None = None) -> list[JobRun]:
        """Claim what is due and run it here, one after another."""
        return [self.execute(job, run) for job, run in self.due(now)]

    def _execute_in_thread(self, job: Job, run: JobRun) -> None:
        try:
            self.execute(job, run)
        except Exception:  # recording failed (database away): the run's lease expires
            logger.exception("scheduler: could not record the run of %s", job.name)
        finally:
            connections.close_all()  # this pool thread's connections

    def run_forever(self, stop: threading.Event, *, interval: float = TICK_SECONDS) -> None:
        """The loop: claim due slots every `interval` seconds until `stop` is set; each
        run goes to the pool. On stop, runs under way are waited for."""
        with ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="scheduler-run") as pool:
            while not stop.is_set():
                close_old_connections()
                for job, run in self.due():
                    self._busy[job.name] = pool.submit(self._execute_in_thread, job, run)
                stop.wait(interval)
        connections.close_all()


def start(*, interval: float = TICK_SECONDS) -> tuple[threading.Thread, threading.Event]:
    """Start the loop in a thread; set the returned event to stop it, then join."""
    scheduler = Scheduler(declared_jobs())  # a bad declaration fails here, at start
    for job in scheduler.jobs:
        job.target()
    logger.info(
        "scheduler: %s",
        "; ".join(f"{job.name} {job.when} ({job.zone.key})" for job in scheduler.jobs),
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler.run_forever,
        args=(stop,),
        kwargs={"interval": interval},
        name="scheduler",
        daemon=True,
    )
    thread.start()
    return thread, stop


# --- the jobs page ------------------------------------------------------------------


@dataclass
class JobStatus:
    job: Job
    last: JobRun | None  # the newest slot's run
    last_success_at: datetime | None
    failures: int  # failed attempts over FAILURE_WINDOW
    next_run: datetime
    waiting: bool  # the latest slot is due and no worker has taken it


def job_overview(now: datetime | None = None, jobs: list[Job] | None = None) -> list[JobStatus]:
    """Every declared job with its newest run, last success, recent failures and next
    run, in four queries whatever the number of jobs."""
    now = now or timezone.now()
    jobs = declared_jobs() if jobs is None else jobs
    names = [job.name for job in jobs]
    runs = JobRun.objects.filter(job__in=names)
    newest_slots = dict(
        runs.order_by().values("job").annotate(slot=Max("slot")).values_list("job", "slot")
    )
    newest: dict[str, JobRun] = {}
    if newest_slots:
        match = Q()
        for name, slot in newest_slots.items():
            match |= Q(job=name, slot=slot)
        newest = {run.job: run for run in JobRun.objects.filter(match)}
    successes = dict(
        runs.filter(status=Status.SUCCEEDED)
        .order_by()
        .values("job")
        .annotate(at=Max("finished_at"))
        .values_list("job", "at")
    )
    failures = dict(
        runs.filter(slot__gte=now - FAILURE_WINDOW)
        .order_by()
        .values("job")
        .annotate(n=Sum("failures"))
        .values_list("job", "n")
    )
    out = []
    for job in jobs:
        last = newest.get(job.name)
        latest = job.latest_slot(now)
        waiting = last is None or last.slot < latest
        if waiting:
            next_run = latest
        elif last.status == Status.FAILED and last.next_attempt_at is not None:
            next_run = min(last.next_attempt_at, job.next_slot(now))
        else:
            next_run = job.next_slot(now)
        out.append(
            JobStatus(
                job=job,
                last=last,
                last_success_at=successes.get(job.name),
                failures=failures.get(job.name) or 0,
                next_run=next_run,
                waiting=waiting,
            )
        )
    return out
