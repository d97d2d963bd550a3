"""Consultations under /api/v1/consultations/: the list (paged: a company's own, the
desk's, an expert's assigned ones), one with its thread, asking, replying (a
follow-up from the company, a reply from an expert or the desk), assigning, resolving,
closing with a rating, and the categories one may ask in. Another company's
consultation, or one not assigned to the calling expert, is 404."""

from datetime import datetime

from django.http import Http404
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.pagination import paginate

from firstline.consultations.models import Category, Consultation, Expert, Message
from firstline.consultations.selectors import threads
from firstline.consultations.selectors.threads import ASK, DESK, VIEW
from firstline.consultations.services import threads as services
from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.geo.models import Division
from firstline.orgs.api import AUTH
from firstline.orgs.models import Company

router = ScopedRouter(tags=["consultations"])


class ConsultCategoryOut(Schema):
    id: int
    association_id: int
    kind: str
    name: str
    first_reply_hours: int
    resolution_hours: int


@router.get(
    "/categories",
    auth=AUTH,
    response=list[ConsultCategoryOut],
    operation_id="list_consultation_categories",
    summary="The categories one may ask in, with their service levels (scoped, paginated)",
)
@paginate(ScopedPagination)
def category_list(request):
    perm_scope(request, VIEW)
    return threads.categories_for(request.scope)


class ConsultationOut(Schema):
    id: int
    number: str
    company_id: int
    association_id: int
    category_id: int
    category: str = Field(alias="category.kind")
    region_id: int
    title: str
    urgency: str
    status: str
    created_at: datetime
    first_reply_due: datetime
    resolution_due: datetime
    first_replied_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_reply_overdue: bool
    resolution_overdue: bool
    rating: int | None


class ConsultMessageOut(Schema):
    id: int
    side: str
    author_name: str
    body: str
    created_at: datetime
    attachments: list[str]

    @staticmethod
    def resolve_attachments(obj) -> list[str]:
        return [a.name for a in getattr(obj, "files", [])]


class ConsultationDetailOut(ConsultationOut):
    description: str
    rating_comment: str
    experts: list[str] = Field(alias="expert_names")
    messages: list[ConsultMessageOut] = Field(alias="thread")


class ConsultationFilter(Schema):
    status: Choice(Consultation.Status) | None = None
    category_id: RowId | None = None
    region_id: RowId | None = None
    overdue: bool | None = None


@router.get(
    "/consultations",
    auth=AUTH,
    response=list[ConsultationOut],
    operation_id="list_consultations",
    summary="List consultations (scoped: one's company's, one's desk's, or assigned to one; paginated)",
)
@paginate(ScopedPagination)
def consultation_list(request, filters: Query[ConsultationFilter]):
    perm_scope(request, VIEW)
    qs = threads.consultations_visible(request.scope, request.user).select_related("category")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category_id:
        qs = qs.filter(category_id=filters.category_id)
    if filters.region_id:
        qs = qs.filter(region_id=filters.region_id)
    if filters.overdue is not None:
        late = qs.filter(first_reply_overdue=True) | qs.filter(resolution_overdue=True)
        qs = late if filters.overdue else qs.exclude(pk__in=late.values("pk"))
    return qs.order_by("-created_at", "-id")


def _visible(request, pk: int, permission: str = VIEW) -> Consultation:
    return scoped_object(
        request,
        Consultation,
        permission,
        pk,
        refine=lambda qs: threads.narrow(qs, request.scope, request.user).select_related(
            "category"
        ),
    )


def _detail(request, consultation: Consultation) -> Consultation:
    """The consultation with its thread and its experts' names, as the schema reads them."""
    consultation.thread = threads.messages_of(consultation, request.scope)
    consultation.expert_names = [
        a.expert.name for a in threads.assignments_of(consultation, request.scope)
    ]
    return consultation


@router.get(
    "/consultations/{pk}",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="get_consultation",
    summary="One consultation with its thread (404 outside your view)",
)
def consultation_detail(request, pk: RowId):
    return _detail(request, _visible(request, pk))


class ConsultationIn(Schema):
    category_id: RowId
    region_id: RowId | None = None
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=5000)
    urgency: Choice(Consultation.Urgency) = Consultation.Urgency.NORMAL
    company_id: RowId | None = Field(
        None, description="The asking company, when one asks for several."
    )


@router.post(
    "/consultations",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="ask_consultation",
    summary="Ask the association a question (a member company's admin)",
)
def consultation_ask(request, payload: ConsultationIn):
    scope = perm_scope(request, ASK)
    companies = sorted(scope.ids("company"))
    company_id = payload.company_id or companies[0]
    if company_id not in companies:
        raise Http404
    category = Category.objects.for_scope(scope).filter(pk=payload.category_id).first()
    if category is None:
        raise Http404
    region = None
    if payload.region_id is not None:
        region = Division.objects.filter(pk=payload.region_id).first()
        if region is None:
            raise Http404
    with validation_errors_as_422():
        consultation = services.consultation_ask(
            actor=request.user,
            company=Company.objects.get(pk=company_id),
            category=category,
            region=region,
            title=payload.title,
            description=payload.description,
            urgency=str(payload.urgency),
        )
    return _detail(request, _visible(request, consultation.pk))


class ConsultMessageIn(Schema):
    body: str = Field(min_length=1, max_length=5000)


def _side(request, consultation: Consultation) -> str:
    if threads.asks_for(consultation, request.scope):
        return Message.Side.COMPANY
    if threads.is_assigned(consultation, request.scope, request.user):
        return Message.Side.EXPERT
    if threads.runs_desk_of(consultation, request.scope):
        return Message.Side.DESK
    raise HttpError(403, "permission denied")


@router.post(
    "/consultations/{pk}/messages",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="post_consultation_message",
    summary="A message of the thread: the company's follow-up, an expert's or the desk's reply",
)
def message_post(request, pk: RowId, payload: ConsultMessageIn):
    consultation = _visible(request, pk)
    with validation_errors_as_422():
        services.message_post(
            actor=request.user,
            consultation=consultation,
            side=_side(request, consultation),
            body=payload.body,
        )
    return _detail(request, _visible(request, pk))


class ConsultAssignIn(Schema):
    expert_ids: list[RowId] = Field(min_length=1, max_length=5)


@router.post(
    "/consultations/{pk}/assign",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="assign_consultation",
    summary="The desk assigns experts (none with a conflict of interest with the company)",
)
def consultation_assign(request, pk: RowId, payload: ConsultAssignIn):
    consultation = _visible(request, pk, DESK)
    experts = list(
        Expert.objects.for_scope(perm_scope(request, DESK)).filter(pk__in=payload.expert_ids)
    )
    if len(experts) != len(set(payload.expert_ids)):
        raise Http404
    with validation_errors_as_422(renames={"experts": "expert_ids"}):
        services.consultation_assign(actor=request.user, consultation=consultation, experts=experts)
    return _detail(request, _visible(request, pk))


@router.post(
    "/consultations/{pk}/resolve",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="resolve_consultation",
    summary="An assigned expert or the desk marks an answered consultation resolved",
)
def consultation_resolve(request, pk: RowId):
    consultation = _visible(request, pk)
    if _side(request, consultation) == Message.Side.COMPANY:
        raise HttpError(403, "permission denied")
    with validation_errors_as_422(loc=("path", "pk")):
        services.consultation_resolve(actor=request.user, consultation=consultation)
    return _detail(request, _visible(request, pk))


class ConsultCloseIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=200)


@router.post(
    "/consultations/{pk}/close",
    auth=AUTH,
    response=ConsultationDetailOut,
    operation_id="close_consultation",
    summary="The asking company closes its consultation with a rating of 1-5 (irreversible)",
)
def consultation_close(request, pk: RowId, payload: ConsultCloseIn):
    consultation = _visible(request, pk, ASK)
    with validation_errors_as_422():
        services.consultation_close(
            actor=request.user,
            consultation=consultation,
            rating=payload.rating,
            comment=payload.comment,
        )
    return _detail(request, _visible(request, pk))
