"""API of the estates app: scoped, paginated lists and details; residents masked."""

from django.core.exceptions import PermissionDenied
from ninja import Field
from ninja.errors import HttpError

from firstline.core.api import RowId, Schema, ScopedRouter, validation_errors_as_422
from firstline.core.services import personal_reveal
from firstline.estates import selectors
from firstline.estates.models import Building, Household, Resident, Site


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
