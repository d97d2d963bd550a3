"""Completing disinfection tasks: a cleaner's tap (optional photo and disinfectant
batch) and a device's run (a UV lamp cycle, a drone sortie).

Both are idempotent on the client's UUID, as the gate events are: the phone's offline
queue and a device's retries may send the same completion again, and the replay gets
the original answer. A task already done stays done (the second tap, from another
phone, is told so, without an error); a cancelled task refuses.

Which tasks a device run completes (DEVICE_LOOKBACK / DEVICE_LOOKAHEAD):
    the run covers [started_at, started_at + minutes]. For each plan entry of the run's
    area, it completes ONE pending task: the earliest one whose due_at lies between
    `started_at - 4 h` and `end + 2 h`. So an overdue slot of the last four hours is
    caught up first, and a cycle run up to two hours before a slot's deadline counts
    for that slot; one cycle never completes two slots of the same entry. Runs of a
    batch are applied oldest first, each taking the tasks the earlier ones left.
The run's area is the one given (it must be of the device's site), else the one area
whose `device` is this device.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.access.models import Device
from firstline.core.models import AuditEvent
from firstline.core.services import audit_record
from firstline.health.services.support import photo_clean
from firstline.sanitation.models import Area, AuditAction, DeviceRun, Task

BATCH_MAX_LENGTH = Task._meta.get_field("batch").max_length
DEVICE_KINDS = (Device.Kind.UV_LAMP, Device.Kind.DRONE)
DEVICE_LOOKBACK = timedelta(hours=4)
DEVICE_LOOKAHEAD = timedelta(hours=2)
RUN_MAX_MINUTES = 24 * 60
# A device clock a little ahead of ours is normal; a run hours in the future is a typo.
CLOCK_SKEW = timedelta(minutes=10)
# A run older than this is a device's broken clock (year 1 once overflowed the task
# window's arithmetic into a server error), not a run it still has to report.
RUN_MAX_AGE = timedelta(days=366)


# --- the cleaner's tap -----------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    task: Task
    duplicate: bool = False  # this client_uuid was stored before: the original answer
    already_done: bool = False  # someone (or a device) had done it: nothing changed

    @property
    def message(self) -> str:
        if self.already_done:
            return _("已完成")
        return _("已完成，记录已保存。")


def task_complete(
    *,
    task: Task,
    actor,
    batch: str = "",
    photo=None,
    client_uuid: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> Completion:
    """Mark `task` done by `actor`. The caller has fetched `task` through the actor's
    scope with sanitation.do_task. Raises ValidationError naming the field."""
    client_uuid = _uuid(client_uuid)
    if client_uuid is not None and (replay := _by_uuid(task.company_id, client_uuid)):
        if replay.pk != task.pk:
            raise ValidationError({"client_uuid": _("此编号已用于另一项任务。")})
        return Completion(replay, duplicate=True)
    if task.state == Task.State.CANCELLED:
        raise ValidationError({"task": _("该任务已取消（消杀计划已调整），无需完成。")})
    if task.state == Task.State.DONE:
        return Completion(task, already_done=True)
    batch = (batch or "").strip()
    if len(batch) > BATCH_MAX_LENGTH:
        raise ValidationError(
            {"batch": _("消毒剂批号不能超过 %(n)d 个字符。") % {"n": BATCH_MAX_LENGTH}}
        )
    content = _photo(photo) if photo else None
    now = now or timezone.now()
    before_photo = task.photo.name
    if content is not None:
        task.photo.save(f"{task.pk}.jpg", content, save=False)  # the file first, then the row
    try:
        with transaction.atomic():
            # Conditional: of two phones tapping at once, one wins; the other is told it is done.
            won = Task.all_tenants.filter(pk=task.pk, state=Task.State.PENDING).update(
                state=Task.State.DONE,
                done_at=now,
                done_by=actor if getattr(actor, "is_authenticated", False) else None,
                source=Task.Source.CLEANER,
                batch=batch,
                photo=task.photo.name,
                client_uuid=client_uuid,
                updated_at=now,
            )
            if won:
                audit_record(
                    actor=actor,
                    company_id=task.company_id,
                    action=AuditAction.TASK_COMPLETE,
                    obj=task,
                    changes={
                        "state": [Task.State.PENDING, Task.State.DONE],
                        "batch": [None, batch],
                        **({"photo": [None, task.photo.name]} if content else {}),
                    },
                )
    except IntegrityError:
        # The same client_uuid committed concurrently (a double replay): that is the answer.
        won = 0
        if client_uuid is not None and (replay := _by_uuid(task.company_id, client_uuid)):
            _drop_file(task, before_photo, content)
            return Completion(replay, duplicate=True)
        raise
    if not won:
        _drop_file(task, before_photo, content)
        return Completion(_reload(task), already_done=True)
    return Completion(_reload(task))


def _photo(upload):
    try:
        return photo_clean(upload)
    except ValidationError as exc:  # the helper names its own form's field
        raise ValidationError(
            {"photo": exc.message_dict.get("proof_photo", exc.messages)}
        ) from None


def _drop_file(task: Task, before: str, content) -> None:
    if content is not None and task.photo.name and task.photo.name != before:
        task.photo.storage.delete(task.photo.name)
        task.photo.name = before


def _uuid(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({"client_uuid": _("客户端编号格式不正确。")}) from None


def _by_uuid(company_id: int, client_uuid: uuid.UUID) -> Task | None:
    return (
        Task.all_tenants.select_related("area", "entry", "done_by", "device")
        .filter(company_id=company_id, client_uuid=client_uuid)
        .first()
    )


def _reload(task: Task) -> Task:
    return Task.all_tenants.select_related("area", "entry", "done_by", "device").get(pk=task.pk)


# --- device runs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInput:
    client_uuid: uuid.UUID
    started_at: datetime
    minutes: int
    area_id: int | None = None


@dataclass(frozen=True)
class RunResult:
    client_uuid: uuid.UUID
    run_id: int
    area_id: int | None
    tasks_completed: int
    task_ids: list[int] = field(default_factory=list)  # empty for a replay
    duplicate: bool = False


@dataclass(frozen=True)
class RunError:
    field: str
    message: str


def device_run_record(
    *,
    device: Device,
    client_uuid: uuid.UUID | str,
    started_at: datetime,
    minutes: int,
    area_id: int | None = None,
    now: datetime | None = None,
) -> RunResult:
    """One run; raises ValidationError naming the field when it cannot be stored."""
    [result] = device_runs_record(
        device=device,
        runs=[RunInput(_uuid(client_uuid), started_at, minutes, area_id)],
        now=now,
    )
    if isinstance(result, RunError):
        raise ValidationError({result.field: result.message})
    return result


def device_runs_record(
    *, device: Device, runs: list[RunInput], now: datetime | None = None
) -> list[RunResult | RunError]:
    """Store the runs (a replayed UUID is not stored again: its original result comes
    back) and complete the tasks they cover, in one transaction. Returns one result or
    error per input, in order. A fixed handful of queries whatever the batch size."""
    if device.kind not in DEVICE_KINDS or not device.active:
        raise PermissionDenied(_("只有紫外线消毒灯或消毒无人机可以上报消杀记录。"))
    now = now or timezone.now()
    for _attempt in range(2):
        try:
            return _record(device, runs, now)
        except IntegrityError:
            # The same UUID committed by a concurrent request: the second pass sees it.
            continue
    return _record(device, runs, now)


def _record(device: Device, runs: list[RunInput], now: datetime) -> list[RunResult | RunError]:
    out: list[RunResult | RunError | None] = [None] * len(runs)
    areas = {
        a.pk: a
        for a in Area.all_tenants.filter(
            Q(pk__in={r.area_id for r in runs if r.area_id}) | Q(device_id=device.pk),
            site_id=device.site_id,
            company_id=device.company_id,
        ).only("pk", "site_id", "device_id", "active")
    }
    own = [a for a in areas.values() if a.device_id == device.pk and a.active]
    seen: set[uuid.UUID] = set()
    fresh: list[tuple[int, RunInput, int]] = []  # (index, run, area id)
    for index, run in enumerate(runs):
        error = _check(run, areas, own, now, seen)
        if isinstance(error, RunError):
            out[index] = error
        else:
            seen.add(run.client_uuid)
            fresh.append((index, run, error))
    with transaction.atomic():
        stored = {
            r.client_uuid: r
            for r in DeviceRun.all_tenants.filter(
                company_id=device.company_id, client_uuid__in=[r.client_uuid for _i, r, _a in fresh]
            ).only("pk", "client_uuid", "area_id", "tasks_completed")
        }
        new = []
        for index, run, area_id in fresh:
            if (old := stored.get(run.client_uuid)) is not None:
                out[index] = RunResult(
                    run.client_uuid, old.pk, old.area_id, old.tasks_completed, duplicate=True
                )
            else:
                new.append((index, run, area_id))
        done = _complete_covered(device, [(run, area_id) for _i, run, area_id in new], now)
        rows = DeviceRun.all_tenants.bulk_create(
            [
                DeviceRun(
                    company_id=device.company_id,
                    site_id=device.site_id,
                    client_uuid=run.client_uuid,
                    device_id=device.pk,
                    area_id=area_id,
                    started_at=run.started_at,
                    minutes=run.minutes,
                    tasks_completed=len(ids),
                )
                for (_i, run, area_id), ids in zip(new, done, strict=True)
            ]
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    company_id=device.company_id,
                    action=AuditAction.DEVICE_RUN,
                    object_type=DeviceRun._meta.label_lower,
                    object_id=str(row.pk),
                    changes={"device": device.pk, "area": row.area_id, "tasks": ids},
                )
                for row, ids in zip(rows, done, strict=True)
            ]
        )
        for (index, run, area_id), row, ids in zip(new, rows, done, strict=True):
            out[index] = RunResult(run.client_uuid, row.pk, area_id, len(ids), ids)
    return out  # type: ignore[return-value]


def _check(run: RunInput, areas: dict, own: list, now: datetime, seen: set) -> RunError | int:
    """The run's area id, or what is wrong with the run."""
    if run.client_uuid is None:
        return RunError("client_uuid", _("请提供客户端编号。"))
    if run.client_uuid in seen:
        return RunError("client_uuid", _("同一批次中客户端编号重复。"))
    if timezone.is_naive(run.started_at):
        return RunError("started_at", _("开始时间须带时区。"))
    if run.started_at > now + CLOCK_SKEW:
        return RunError("started_at", _("开始时间晚于当前时间。"))
    if run.started_at < now - RUN_MAX_AGE:
        return RunError("started_at", _("开始时间早于一年前。"))
    if not 1 <= run.minutes <= RUN_MAX_MINUTES:
        return RunError("minutes", _("时长应在 1–%(n)d 分钟之间。") % {"n": RUN_MAX_MINUTES})
    if run.area_id is not None:
        area = areas.get(run.area_id)
        if area is None:  # another site's, another company's or no area: all the same
            return RunError("area_id", _("不是本设备所在项目的消杀区域。"))
        return area.pk
    if len(own) == 1:
        return own[0].pk
    if not own:
        return RunError("area_id", _("该设备未关联消杀区域，请指明区域。"))
    return RunError("area_id", _("该设备关联了多个区域，请指明区域。"))


def _complete_covered(
    device: Device, runs: list[tuple[RunInput, int]], now: datetime
) -> list[list[int]]:
    """For each run, the ids of the tasks it completes (see the module's rule); done with
    one read (rows locked) and one bulk update."""
    if not runs:
        return []
    earliest = min(r.started_at for r, _a in runs) - DEVICE_LOOKBACK
    latest = max(r.started_at + timedelta(minutes=r.minutes) for r, _a in runs) + DEVICE_LOOKAHEAD
    candidates = list(
        Task.all_tenants.select_for_update()
        .filter(
            company_id=device.company_id,
            area_id__in={a for _r, a in runs},
            state=Task.State.PENDING,
            due_at__gte=earliest,
            due_at__lte=latest,
        )
        .order_by("due_at", "id")
        .only("pk", "area_id", "entry_id", "due_at")
    )
    by_area: dict[int, list[Task]] = {}
    for task in candidates:
        by_area.setdefault(task.area_id, []).append(task)
    taken: set[int] = set()
    out: list[list[int]] = [[] for _r in runs]
    changed: list[Task] = []
    # Oldest run first: it has first claim on the overdue slots.
    for position in sorted(range(len(runs)), key=lambda i: runs[i][0].started_at):
        run, area_id = runs[position]
        end = run.started_at + timedelta(minutes=run.minutes)
        low, high = run.started_at - DEVICE_LOOKBACK, end + DEVICE_LOOKAHEAD
        entries: set[int] = set()
        for task in by_area.get(area_id, ()):
            if task.pk in taken or task.entry_id in entries or not low <= task.due_at <= high:
                continue
            entries.add(task.entry_id)
            taken.add(task.pk)
            task.state = Task.State.DONE
            task.done_at = end
            task.source = Task.Source.DEVICE
            task.device_id = device.pk
            task.updated_at = now
            changed.append(task)
            out[position].append(task.pk)
    if changed:
        Task.all_tenants.bulk_update(
            changed, ["state", "done_at", "source", "device_id", "updated_at"], batch_size=500
        )
    return out
