"""Support tasks (under /api/v1/volunteers/): the site's list and form, the
assignee's "done, ready for handover" (with the weight), and the receiving party's
signature by the task's handover token (public: the token is the key)."""

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from ninja import Field

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedRouter,
    scoped_object,
    validation_errors_as_422,
)
from firstline.estates.models import Site
from firstline.orgs.api import AUTH
from firstline.volunteers.models import Deployment, SupportTask, TaskType
from firstline.volunteers.selectors.figures import with_overdue
from firstline.volunteers.selectors.public import task_for_handover_public
from firstline.volunteers.services import support

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"
DO = "volunteers.do_task"

router = ScopedRouter(tags=["volunteers"])


class VolTaskOut(Schema):
    id: int
    company_id: int
    site_id: int
    site_name: str = Field(alias="site.name")
    task_type: str = Field(alias="task_type.kind")
    task_type_name: str = Field(alias="task_type.name")
    safety_rules: str = Field(alias="task_type.safety_rules")
    assignee_id: int | None
    title: str
    location: str
    due_at: datetime
    state: str
    overdue: bool
    weight_kg: Decimal | None
    receiver_name: str
    done_at: datetime | None


class VolTaskIn(Schema):
    site_id: RowId
    task_type: Choice(TaskType.Kind)
    title: str = Field("", max_length=200)
    location: str = Field("", max_length=100)
    due_at: datetime
    assignee_id: RowId | None = None


class VolTaskFilter(Schema):
    site_id: RowId | None = None
    state: Choice(SupportTask.State) | None = None


def _tasks(qs):
    return with_overdue(qs.select_related("site", "task_type")).order_by("due_at", "id")


router.scoped_list(
    "/tasks",
    SupportTask,
    VIEW_DUTY,
    VolTaskOut,
    refine=_tasks,
    filters=VolTaskFilter,
    name="list_support_tasks",
)
router.scoped_detail(
    "/tasks/{int:pk}", SupportTask, VIEW_DUTY, VolTaskOut, refine=_tasks, name="get_support_task"
)


@router.post(
    "/tasks",
    auth=AUTH,
    response=VolTaskOut,
    operation_id="create_support_task",
    summary="A support task at a hospital or isolation point",
)
def task_create(request, payload: VolTaskIn):
    site = scoped_object(request, Site, MANAGE, payload.site_id)
    assignee = (
        scoped_object(request, Deployment, MANAGE, payload.assignee_id)
        if payload.assignee_id
        else None
    )
    task_type = TaskType.objects.filter(kind=payload.task_type).first()
    if task_type is None:
        raise Http404
    with validation_errors_as_422():
        task = support.task_create(
            actor=request.user,
            site=site,
            task_type=task_type,
            title=payload.title,
            due_at=payload.due_at,
            assignee=assignee,
            location=payload.location,
        )
    return scoped_object(request, SupportTask, VIEW_DUTY, task.pk, refine=_tasks)


class VolReadyIn(Schema):
    weight_kg: Decimal | None = Field(None, ge=0, le=99999, max_digits=7, decimal_places=2)


class VolReadyOut(Schema):
    id: int
    state: str
    weight_kg: Decimal | None
    handover_token: str
    handover_code: str


@router.post(
    "/tasks/{int:pk}/ready",
    auth=AUTH,
    response=VolReadyOut,
    operation_id="support_task_ready",
    summary="The assignee's task is done: weight recorded, waiting for the handover",
)
def task_ready(request, pk: RowId, payload: VolReadyIn):
    from django.db.models import Q

    task = scoped_object(
        request,
        SupportTask,
        DO,
        pk,
        refine=lambda qs: qs.filter(
            Q(assignee__volunteer__user_id=request.user.pk)
            | Q(assignee__staff__user_id=request.user.pk)
        ),
    )
    with validation_errors_as_422():
        return support.task_ready(actor=request.user, task=task, weight_kg=payload.weight_kg)


class VolHandoverIn(Schema):
    receiver_name: str = Field(max_length=64, description="The receiver's signature (name).")
    receiver_unit: str = Field("", max_length=100)


class VolHandoverOut(Schema):
    id: int
    state: str
    receiver_name: str
    done_at: datetime | None
    already: bool


@router.post(
    "/handover/{token}",
    auth=None,
    response=VolHandoverOut,
    operation_id="support_task_handover",
    summary="The receiving party signs for a task by its handover token (public)",
)
def handover(request, token: str, payload: VolHandoverIn):
    task = task_for_handover_public(token=token[:64])
    if task is None:
        raise Http404
    with validation_errors_as_422():
        task, already = support.task_handover(
            actor=request.user,
            task=task,
            receiver_name=payload.receiver_name,
            receiver_unit=payload.receiver_unit,
        )
    return {
        "id": task.pk,
        "state": task.state,
        "receiver_name": task.receiver_name,
        "done_at": task.done_at,
        "already": already,
    }
