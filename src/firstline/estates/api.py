"""API of the estates app: scoped, paginated lists and details; residents masked."""

from typing import Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, File, Form, Status, UploadedFile
from ninja.errors import HttpError

from firstline.core.api import (
    RowId,
    Schema,
    ScopedRouter,
    unprocessable,
    validation_errors_as_422,
)
from firstline.core.models import TaskProgress
from firstline.core.services import personal_reveal
from firstline.estates import selectors
from firstline.estates.models import Building, Household, Resident, Site
from firstline.estates.services.onboarding import IMPORTERS
from firstline.estates.tasks import import_enqueue, import_target


class SiteOut(Schema):
    id: int
    company_id: int
    name: str
    site_type: str
    community_code: str
    community: str
    address: str

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.community.code

    @staticmethod
    def resolve_community(obj) -> str:
        return obj.community.name


class BuildingOut(Schema):
    id: int
    company_id: int
    site_id: int
    name: str
    floors: int


class HouseholdOut(Schema):
    id: int
    company_id: int
    site_id: int
    building_id: int
    building: str
    unit: str
    room: str

    @staticmethod
    def resolve_building(obj) -> str:
        return obj.building.name


class ResidentOut(Schema):
    """Sensitive fields only in masked form; plaintext needs POST …/reveal."""

    id: int
    company_id: int
    site_id: int
    household_id: int
    name: str
    household_label: str
    phone_masked: str
    id_number_masked: str
    birth_year: int | None
    relation: str
    vulnerabilities: list[str]

    @staticmethod
    def resolve_household_label(obj) -> str:
        return obj.household.label

    @staticmethod
    def resolve_vulnerabilities(obj) -> list[str]:
        return [f for f in Resident.VULNERABILITY_FIELDS if getattr(obj, f)]


class SiteFilter(Schema):
    q: str | None = None
    site_type: str | None = None


class SiteChildFilter(Schema):
    q: str | None = None
    site_id: RowId | None = None


class RevealIn(Schema):
    field: str = Field(max_length=32, description="id_number or phone")
    purpose: str = Field(max_length=200)  # core.AccessLog.purpose


class RevealOut(Schema):
    value: str


router = ScopedRouter(tags=["estates"])

router.scoped_list(
    "/sites",
    Site,
    "estates.view_site",
    SiteOut,
    refine=lambda qs: qs.select_related("community"),
    search=selectors.site_search_q,
    filters=SiteFilter,
)
router.scoped_detail(
    "/sites/{pk}",
    Site,
    "estates.view_site",
    SiteOut,
    refine=lambda qs: qs.select_related("community"),
)
router.scoped_list(
    "/buildings",
    Building,
    "estates.view_building",
    BuildingOut,
    search=selectors.building_search_q,
    filters=SiteChildFilter,
)
router.scoped_detail("/buildings/{pk}", Building, "estates.view_building", BuildingOut)
router.scoped_list(
    "/households",
    Household,
    "estates.view_household",
    HouseholdOut,
    refine=lambda qs: qs.select_related("building"),
    search=selectors.household_search_q,
    filters=SiteChildFilter,
)
router.scoped_detail(
    "/households/{pk}",
    Household,
    "estates.view_household",
    HouseholdOut,
    refine=lambda qs: qs.select_related("building"),
)
router.scoped_list(
    "/residents",
    Resident,
    "estates.view_resident",
    ResidentOut,
    refine=selectors.resident_list,
    search=selectors.resident_search_q,
    filters=SiteChildFilter,
)
router.scoped_detail(
    "/residents/{pk}",
    Resident,
    "estates.view_resident",
    ResidentOut,
    refine=selectors.resident_list,
)


@router.post(
    "/residents/{pk}/reveal",
    response=RevealOut,
    summary="Reveal a resident's ID number or phone (logged)",
)
def resident_reveal(request, pk: RowId, payload: RevealIn):
    try:
        with validation_errors_as_422():
            value = personal_reveal(
                actor=request.user,
                scope=request.scope,
                model=Resident,
                pk=pk,
                field=payload.field,
                purpose=payload.purpose,
                ip=request.META.get("REMOTE_ADDR"),
                channel="api",
            )
    except PermissionDenied:
        raise HttpError(403, "permission denied") from None
    return {"value": value}


# --- bulk onboarding imports ----------------------------------------------------------------

ImportSlug = Literal["members", "rooms", "staff", "residents"]
MAX_UPLOAD = 20 * 1024 * 1024


class ImportErrorOut(Schema):
    sheet: str = ""
    row: int
    field: str
    message: str


class ImportOut(Schema):
    """One import's progress and, when it ends, its outcome: the counts written or the
    problems that stopped it (nothing is written then)."""

    progress_id: UUID
    kind: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    counts: dict[str, int] | None = None
    errors: list[ImportErrorOut] = []
    error_count: int = 0


def _import_out(progress: TaskProgress) -> dict:
    result = progress.result or {}
    return {
        "progress_id": progress.pk,
        "kind": progress.kind,
        "status": progress.status,
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "message": progress.message or result.get("message", ""),
        "counts": result.get("counts"),
        "errors": result.get("errors", []),
        "error_count": result.get("error_count", 0),
    }


@router.post(
    "/imports/{slug}",
    response={202: ImportOut},
    summary="Start a bulk import from an Excel workbook (all rows or none)",
)
def import_start(
    request,
    slug: ImportSlug,
    target_id: Form[RowId],
    file: File[UploadedFile],
    add_rooms: Form[bool] = False,
):
    """`target_id` is the association (members) or the site (rooms, staff, residents).
    The import runs as a task: follow it at GET /imports/{slug}/{progress_id}. Templates:
    the import pages offer them."""
    importer = IMPORTERS[slug]
    if not request.scope.for_perm(importer.permission).grants:
        raise HttpError(403, "permission denied")
    target = import_target(importer=importer, target_id=target_id, actor=request.user)
    if target is None:
        raise HttpError(404, "Not Found")
    if not (file.name or "").lower().endswith(".xlsx") or file.size > MAX_UPLOAD:
        raise unprocessable(
            ValidationError({"file": "an .xlsx workbook of at most 20 MB"}), loc=("form",)
        )
    progress = import_enqueue(
        importer=importer,
        actor=request.user,
        target=target,
        upload=file,
        options={"add_rooms": add_rooms},
    )
    progress.refresh_from_db()
    return Status(202, _import_out(progress))


@router.get(
    "/imports/{slug}/{progress_id}",
    response=ImportOut,
    summary="An import's progress and outcome (the caller's own imports only)",
)
def import_status(request, slug: ImportSlug, progress_id: UUID):
    progress = TaskProgress.objects.filter(
        pk=progress_id, owner=request.user, kind=IMPORTERS[slug].kind
    ).first()
    if progress is None:
        raise HttpError(404, "Not Found")
    return _import_out(progress)
