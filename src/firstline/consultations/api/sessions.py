"""Online sessions and the figures under /api/v1/consultations/: the sessions of one's
association (paged), registering with a question in advance, and the desk's figures."""

from datetime import datetime

from django.db.models import Count
from ninja import Field

from firstline.consultations.models import Registration, Session
from firstline.consultations.selectors import figures as figure_selectors
from firstline.consultations.selectors.threads import ASK, DESK
from firstline.consultations.services import sessions as services
from firstline.core.api import (
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.orgs.api import AUTH
from firstline.orgs.models import Company

VIEW_SESSION = "consultations.view_session"

router = ScopedRouter(tags=["consultations"])


class ConsultSessionOut(Schema):
    id: int
    association_id: int
    expert: str = Field(alias="expert.name")
    topic: str
    description: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    registered: int


router.scoped_list(
    "/sessions",
    Session,
    VIEW_SESSION,
    ConsultSessionOut,
    refine=lambda qs: (
        qs.select_related("expert")
        .annotate(registered=Count("registrations", distinct=True))
        .order_by("-starts_at", "-id")
    ),
    name="list_consultation_sessions",
    noun="online consultation sessions",
)


class ConsultRegistrationOut(Schema):
    id: int
    company_id: int
    session_id: int
    name: str
    question: str
    attended: bool | None
    meeting_link: str = Field(alias="session.meeting_link")


class ConsultRegisterIn(Schema):
    question: str = Field("", max_length=1000)


@router.post(
    "/sessions/{pk}/register",
    auth=AUTH,
    response=ConsultRegistrationOut,
    operation_id="register_consultation_session",
    summary="Register for a session with a question in advance (a member company's user)",
)
def session_register(request, pk: RowId, payload: ConsultRegisterIn):
    scope = perm_scope(request, ASK)
    session = scoped_object(request, Session, ASK, pk)
    company = Company.objects.get(pk=sorted(scope.ids("company"))[0])
    with validation_errors_as_422():
        registration = services.session_register(
            actor=request.user, session=session, company=company, question=payload.question
        )
    return Registration.objects.for_scope(scope).select_related("session").get(pk=registration.pk)


class ConsultFigureRow(Schema):
    label: str
    total: int
    open: int
    closed: int
    overdue: int
    median_first_reply_hours: float | None = Field(alias="median_first")
    median_resolution_hours: float | None = Field(alias="median_resolve")
    satisfaction: float | None


class ConsultFiguresOut(Schema):
    total: ConsultFigureRow
    by_category: list[ConsultFigureRow]
    by_region: list[ConsultFigureRow]
    ratings: dict[str, int]


@router.get(
    "/figures",
    auth=AUTH,
    response=ConsultFiguresOut,
    operation_id="consultation_figures",
    summary="The desk's figures: by category and region, median hours, satisfaction",
)
def figures(request):
    perm_scope(request, DESK)
    result = figure_selectors.figures(request.scope)
    result.ratings = {str(k): v for k, v in result.ratings.items()}
    return result
