"""The cleaner's and the devices' API (mounted under /api/v1/sanitation/):

- GET  /tasks?day=&site_id=&area_id=&state=   a day's tasks (today by default), scoped
- POST /tasks/{id}/complete                   one tap: {client_uuid, batch}; idempotent
- POST /device-runs                           a UV lamp cycle or drone sortie, or a batch
                                              {runs: [...]} of up to 1,000, with the device's
                                              own token (access.devices.DeviceTokenAuth)

Every answer comes after the commit; a replayed client_uuid gets the original answer.
"""

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from firstline.access.services.devices import DeviceTokenAuth
from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    scoped_object,
    scoped_queryset,
    unprocessable,
    validation_errors_as_422,
)
from firstline.orgs.api import AUTH
from firstline.sanitation.models import Task
from firstline.sanitation.selectors.cleaner import TASK_FIELDS
from firstline.sanitation.services.completion import (
    RunError,
    RunInput,
    device_runs_record,
    task_complete,
)

MAX_BATCH = 1000

router = ScopedRouter(tags=["sanitation"])


# --- tasks ---------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    company_id: int
    site_id: int
    area_id: int
    area_name: str = Field(alias="area.name")
    entry_id: int
    title: str = Field(alias="entry.title")
    method: str = Field(alias="entry.method")
    disinfectant: str = Field(alias="entry.disinfectant")
    concentration: str = Field(alias="entry.concentration")
    day: date
    slot: int
    due_at: datetime
    state: str
    done_at: datetime | None
    source: str
    batch: str
    has_photo: bool

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)


class TaskFilter(Schema):
    day: date | None = Field(None, description="Local day; today when omitted.")
    site_id: RowId | None = None
    area_id: RowId | None = None
    state: Choice(Task.State) | None = None


def _tasks(qs):
    return qs.select_related("area", "entry").only(*TASK_FIELDS)


@router.get(
    "/tasks",
    auth=AUTH,
    response=list[TaskOut],
    operation_id="list_sanitation_tasks",
    summary="A day's disinfection tasks (scoped, paginated; today by default)",
)
@paginate(ScopedPagination)
def task_list(request, params: Query[TaskFilter]):
    qs = scoped_queryset(request, Task, "sanitation.view_task").filter(
        day=params.day or timezone.localdate()
    )
    for name in ("site_id", "area_id", "state"):
        if (value := getattr(params, name)) is not None:
            qs = qs.filter(**{name: value})
    return _tasks(qs).order_by("due_at", "id")


class CompleteIn(Schema):
    client_uuid: uuid.UUID | None = Field(
        None, description="Made by the phone; a replay of the same UUID is stored once."
    )
    batch: str = Field("", max_length=64, description="The disinfectant's batch number.")


class CompleteOut(Schema):
    task: TaskOut
    duplicate: bool = Field(description="This client_uuid was stored before: the original result.")
    already_done: bool = Field(description="The task had been done already: nothing changed.")
    message: str


@router.post(
    "/tasks/{int:pk}/complete",
    auth=AUTH,
    response=CompleteOut,
    operation_id="complete_sanitation_task",
    summary="Done with one tap (idempotent on client_uuid)",
)
def task_complete_api(request, pk: RowId, payload: CompleteIn):
    """A task already done answers already_done=true; a cancelled one is refused (422)."""
    task = scoped_object(request, Task, "sanitation.do_task", pk, refine=_tasks)
    with validation_errors_as_422():
        result = task_complete(
            task=task, actor=request.user, batch=payload.batch, client_uuid=payload.client_uuid
        )
    fresh = _tasks(scoped_queryset(request, Task, "sanitation.do_task")).get(pk=result.task.pk)
    return {
        "task": fresh,
        "duplicate": result.duplicate,
        "already_done": result.already_done,
        "message": result.message,
    }


# --- device runs ---------------------------------------------------------------------------


class RunItem(BaseModel):
    """One UV lamp cycle or drone sortie."""

    model_config = ConfigDict(extra="forbid")

    client_uuid: uuid.UUID = Field(description="Made by the device; a replay is stored once.")
    started_at: AwareDatetime = Field(description="ISO 8601 with a UTC offset.")
    minutes: int = Field(ge=1, le=24 * 60, description="How long the run lasted.")
    area_id: RowId | None = Field(
        None,
        description="The area disinfected; by default the one area this device is set on.",
    )

    def run_input(self) -> RunInput:
        return RunInput(self.client_uuid, self.started_at, self.minutes, self.area_id)


class RunBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runs: list[Any] = Field(
        max_length=MAX_BATCH,
        description=(
            f"Up to {MAX_BATCH:,} RunItem objects, each validated on its own: a malformed one is "
            "reported in `errors` by its index and the others are stored."
        ),
        json_schema_extra={"items": RunItem.model_json_schema()},
    )


class RunOut(BaseModel):
    client_uuid: uuid.UUID
    run_id: int
    area_id: int | None
    tasks_completed: int
    task_ids: list[int] = Field(description="Tasks this run completed (empty for a replay).")
    duplicate: bool


class RunBatchResultOut(RunOut):
    index: int


class RunBatchErrorOut(BaseModel):
    index: int
    field: str
    message: str


class RunBatchOut(BaseModel):
    results: list[RunBatchResultOut]
    errors: list[RunBatchErrorOut]


def _run_out(result) -> dict:
    return {
        "client_uuid": result.client_uuid,
        "run_id": result.run_id,
        "area_id": result.area_id,
        "tasks_completed": result.tasks_completed,
        "task_ids": result.task_ids,
        "duplicate": result.duplicate,
    }


def _record(device, runs: list[RunInput]):
    try:
        return device_runs_record(device=device, runs=runs)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None


@router.post(
    "/device-runs",
    auth=[DeviceTokenAuth()],
    response={200: RunOut | RunBatchOut},
    operation_id="record_device_runs",
    summary="Record a UV lamp cycle or drone sortie, or a batch of them (idempotent)",
)
def device_runs(request, payload: RunItem | RunBatchIn):
    """Only UV lamps and drones (403 for gate devices). A run completes, for each plan
    entry of its area, the earliest pending task due from 4 h before its start to 2 h
    after its end. One run: its result, or 422 naming the field. A batch: `results` and
    `errors` by index; the valid runs are stored in one transaction."""
    device = request.device
    if isinstance(payload, RunItem):
        [result] = _record(device, [payload.run_input()])
        if isinstance(result, RunError):
            raise unprocessable(DjangoValidationError({result.field: result.message}))
        return _run_out(result)
    valid: list[tuple[int, RunInput]] = []
    errors: list[dict] = []
    for index, raw in enumerate(payload.runs):
        try:
            valid.append((index, RunItem.model_validate(raw).run_input()))
        except PydanticValidationError as exc:
            errors.extend(
                {"index": index, "field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors(include_url=False)
            )
    stored = _record(device, [run for _i, run in valid]) if valid else []
    results = []
    for (index, _run), result in zip(valid, stored, strict=True):
        if isinstance(result, RunError):
            errors.append({"index": index, "field": result.field, "message": result.message})
        else:
            results.append({**_run_out(result), "index": index})
    errors.sort(key=lambda e: e["index"])
    return {"results": results, "errors": errors}
