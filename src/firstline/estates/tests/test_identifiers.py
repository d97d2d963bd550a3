"""An ID number or phone written with full-width digits, a lower-case x or spaces is the
same person as its ASCII form: exact search finds it, the import and the forms refuse
it as a duplicate, and the data migration re-seals values stored before (with a
colliding pair left for a person to review, never merged or deleted)."""

import importlib
from io import BytesIO

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core.models import TaskProgress
from firstline.core.personal import crypto
from firstline.core.personal.crypto import keyring, lookup_digest
from firstline.core.personal.fields import get_personal, reseal_normalised
from firstline.core.personal.identity import id_check_char
from firstline.core.personal.masking import mask_id_number, mask_phone
from firstline.estates import selectors
from firstline.estates.models import Resident, Staff
from firstline.estates.services.importing import COLUMNS
from firstline.testing.world import PASSWORD, make_resident

pytestmark = pytest.mark.django_db

migration = importlib.import_module("firstline.estates.migrations.0003_normalise_identifiers")


def wide(text: str) -> str:
    """The full-width form a Chinese input method types: ４２０１…Ｘ."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def id_with_x(region: str = "420102", birth: str = "19800101") -> str:
    for serial in range(1000):
        first17 = f"{region}{birth}{serial:03d}"
        if id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no serial gives X")


ID = id_with_x()
PHONE = "13712345678"


@pytest.fixture
def admin_client(client, world):
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    return client


@pytest.fixture
def resident(world):
    return make_resident(household=world.a.household, name="赵敏", phone=PHONE, id_number=ID)


def raw_seal(obj, kind: str, value: str) -> None:
    """Write `value` as code before normalisation did: sealed exactly as typed."""
    ring = keyring()
    setattr(obj, f"{kind}_enc", ring.encrypt(value, kind.encode()))
    setattr(obj, f"{kind}_hmac", ring.digest(value, kind))
    setattr(obj, f"{kind}_last4", value[-4:])
    setattr(obj, f"{kind}_masked", {"id_number": mask_id_number, "phone": mask_phone}[kind](value))


def stored_unnormalised(world, name: str, *, id_number: str = "", phone: str = "") -> Resident:
    resident = make_resident(household=world.a.household, name=name, phone="", id_number="")
    if id_number:
        raw_seal(resident, "id_number", id_number)
    if phone:
        raw_seal(resident, "phone", phone)
    resident.save()
    return resident


# --- exact search --------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        wide(ID),
        ID.lower(),
        wide(ID.lower()),
        f"{ID[:6]} {ID[6:14]} {ID[14:]}",
        wide(PHONE),
        "+86 137-1234-5678",
        "0086 13712345678",
        wide("5678"),
    ],
)
def test_search_finds_every_spelling(admin_client, resident, term):
    response = admin_client.get(reverse("estates:resident_list"), {"q": term})
    assert [r.pk for r in response.context["object_list"]] == [resident.pk]


def test_api_search_finds_the_full_width_id(client, world, resident):
    token = client.post(
        "/api/v1/auth/token",
        {"username": world.a.users["company_admin"].username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    response = client.get(
        "/api/v1/residents", {"q": wide(ID.lower())}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["items"]] == [resident.pk]


# --- forms ---------------------------------------------------------------------------


def form_data(world, **over):
    return {
        "site": world.a.site.pk,
        "building": "1栋",
        "unit": "1",
        "room": "301",
        "name": "王芳",
        "phone": "",
        "id_number": "",
        "birth_year": 1980,
        "relation": "tenant",
        **over,
    }


def test_form_stores_the_normalised_values(admin_client, world):
    response = admin_client.post(
        reverse("estates:resident_create"),
        form_data(world, id_number=wide(ID.lower()), phone="+86 " + wide("137 1234 5678")),
    )
    assert response.status_code == 302
    created = Resident.all_tenants.get(name="王芳")
    assert get_personal(created, "id_number") == ID
    assert get_personal(created, "phone") == PHONE
    assert created.id_number_hmac == lookup_digest("id_number", ID)
    assert (created.id_number_masked, created.phone_last4) == (mask_id_number(ID), "5678")


def test_form_refuses_the_full_width_twin_of_a_registered_id(admin_client, world, resident):
    before = Resident.all_tenants.count()
    response = admin_client.post(
        reverse("estates:resident_create"), form_data(world, id_number=wide(ID.lower()))
    )
    assert response.status_code == 200
    assert "该身份证号已登记在本企业的居民中" in response.context["form"].errors["id_number"]
    assert Resident.all_tenants.count() == before


def test_staff_phone_is_normalised(admin_client, world):
    response = admin_client.post(
        reverse("estates:staff_create"),
        {
            "site": world.a.site.pk,
            "name": "钱师傅",
            "phone": "0086 " + wide("139-0000-1111"),
            "position": "cleaner",
            "on_duty": "on",
        },
    )
    assert response.status_code == 302
    staff = Staff.all_tenants.get(name="钱师傅")
    assert get_personal(staff, "phone") == "13900001111"


# --- the resident import -------------------------------------------------------------


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path
    settings.FIRSTLINE_REQUIRE_2FA = False


def upload(client, capture, site, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "居民"
    ws.append([c.header for c in COLUMNS])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    with capture(execute=True):
        client.post(
            reverse("estates:resident_import"),
            {"site": site.pk, "file": SimpleUploadedFile("r.xlsx", out.getvalue())},
        )
    return TaskProgress.objects.order_by("-pk").first()


def row(name: str, id_number: str, phone: str = "", room: str = "301") -> list:
    return ["1栋", "1", room, name, phone, id_number, "", "业主", "", "", "", ""]


def test_import_refuses_the_full_width_twin_of_a_registered_id(
    immediate_tasks, admin_client, django_capture_on_commit_callbacks, world, resident
):
    before = Resident.all_tenants.count()
    progress = upload(
        admin_client, django_capture_on_commit_callbacks, world.a.site, [row("赵敏", wide(ID))]
    )
    assert progress.status == "failed"
    assert progress.result["errors"] == [
        {"row": 2, "field": "身份证号", "message": "该身份证号已登记在本企业的居民中"}
    ]
    assert Resident.all_tenants.count() == before


def test_import_refuses_two_spellings_of_one_id_in_a_file(
    immediate_tasks, admin_client, django_capture_on_commit_callbacks, world
):
    progress = upload(
        admin_client,
        django_capture_on_commit_callbacks,
        world.a.site,
        [row("赵敏", ID), row("赵敏", f" {wide(ID[:9])} {ID[9:].lower()} ")],
    )
    assert progress.result["errors"] == [
        {"row": 3, "field": "身份证号", "message": "与第 2 行的身份证号重复"}
    ]


def test_import_stores_the_normalised_values(
    immediate_tasks, admin_client, django_capture_on_commit_callbacks, world
):
    progress = upload(
        admin_client,
        django_capture_on_commit_callbacks,
        world.a.site,
        [row("赵敏", wide(ID.lower()), phone="+86 " + wide(PHONE))],
    )
    assert progress.status == "succeeded", progress.result
    created = Resident.all_tenants.get(name="赵敏")
    assert (get_personal(created, "id_number"), get_personal(created, "phone")) == (ID, PHONE)
    assert created.id_number_hmac == lookup_digest("id_number", ID)


# --- the data migration --------------------------------------------------------------


def run_migration() -> None:
    migration.normalise(django_apps, None)


def test_migration_reseals_an_unnormalised_row_and_writes_only_that_row(world):
    odd = stored_unnormalised(
        world, "孙立", id_number=wide(ID.lower()), phone="+86 " + wide("137 1234 5678")
    )
    assert odd.id_number_hmac != lookup_digest("id_number", ID)  # the bug: search missed it
    untouched = {
        r.pk: (bytes(r.id_number_enc), bytes(r.phone_enc)) for r in Resident.all_tenants.all()
    }

    with CaptureQueriesContext(connection) as ctx:
        run_migration()

    odd.refresh_from_db()
    assert get_personal(odd, "id_number") == ID
    assert get_personal(odd, "phone") == PHONE
    assert odd.id_number_hmac == lookup_digest("id_number", ID)
    assert (odd.id_number_last4, odd.id_number_masked) == (ID[-4:], mask_id_number(ID))
    assert (odd.phone_last4, odd.phone_masked) == ("5678", mask_phone(PHONE))
    # Every other row keeps its very ciphertext: nothing but the changed one is written.
    for r in Resident.all_tenants.exclude(pk=odd.pk):
        assert (bytes(r.id_number_enc), bytes(r.phone_enc)) == untouched[r.pk]
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # one bulk update per kind, each naming only the odd row
    assert all(f"{odd.pk}" in sql for sql in updates)

    # Run again: nothing left to do.
    with CaptureQueriesContext(connection) as again:
        run_migration()
    assert not [q for q in again.captured_queries if q["sql"].startswith("UPDATE")]


def test_migration_leaves_a_colliding_pair_for_review(admin_client, world, resident):
    twin = stored_unnormalised(world, "赵敏（重复）", id_number=wide(ID))
    other_company = make_resident(
        household=world.b.household, name="他司同号", phone="", id_number=ID
    )
    assert not selectors.sharing_id_number(Resident.all_tenants.all()).exists()

    run_migration()

    # Both rows stay, now carrying one HMAC; nothing merged, nothing deleted.
    twin.refresh_from_db()
    assert Resident.all_tenants.filter(pk__in=[resident.pk, twin.pk]).count() == 2
    assert twin.id_number_hmac == resident.id_number_hmac
    shared = selectors.sharing_id_number(Resident.all_tenants.all())
    assert sorted(shared.values_list("pk", flat=True)) == sorted([resident.pk, twin.pk])
    assert other_company.pk not in shared.values_list("pk", flat=True)  # another company

    # The site manager sees the notice and the review list.
    page = admin_client.get(reverse("estates:resident_list"))
    assert page.context["sharing_id_number"].count() == 2
    assert 'id="shared-id-notice"' in page.content.decode()
    review = admin_client.get(reverse("estates:resident_list"), {"shared_id": "1"})
    assert sorted(r.pk for r in review.context["object_list"]) == sorted([resident.pk, twin.pk])

    # Correcting the typo'd number resolves it.
    fixed = id_with_x(birth="19900101")
    response = admin_client.post(
        reverse("estates:resident_edit", args=[twin.pk]),
        form_data(world, name="赵敏（重复）", id_number=fixed, birth_year=1990),
    )
    assert response.status_code == 302
    assert not selectors.sharing_id_number(Resident.all_tenants.all()).exists()
    assert (
        'id="shared-id-notice"'
        not in admin_client.get(reverse("estates:resident_list")).content.decode()
    )


def test_migration_is_a_noop_without_sealed_values(db, settings):
    # No rows: the key ring is never asked for (a fresh install may not have one yet).
    settings.FIRSTLINE_DATA_KEYS = ""
    crypto.keyring.cache_clear()
    try:
        with CaptureQueriesContext(connection) as ctx:
            run_migration()
    finally:
        crypto.keyring.cache_clear()
    assert all(q["sql"].startswith("SELECT") for q in ctx.captured_queries)
    assert len(ctx.captured_queries) == 2  # one EXISTS per table


def test_reseal_helper_reports_the_rows_it_changed(world):
    odd = stored_unnormalised(world, "周芷", id_number=f"{ID[:6]} {ID[6:]}".lower())
    assert reseal_normalised(Resident, ("phone", "id_number")) == [odd.pk]
    assert reseal_normalised(Resident, ("phone", "id_number")) == []
