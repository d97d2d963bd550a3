"""The demo world generator: deterministic, well-formed, sealed, with working logins."""

import json
import random
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from firstline.core.personal.crypto import MASKERS, lookup_digest, unseal
from firstline.core.personal.fields import get_personal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.roles import Role
from firstline.estates.models import Household, Resident, Site, Staff
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User
from firstline.orgs.validators import validate_credit_code
from firstline.scenario.people import PeopleFactory, name_initials
from firstline.scenario.tests.shared_world import home_residents, module_world, office_staff
from firstline.scenario.world import (
    DEMO_PASSWORD,
    ScaleOverride,
    Sealer,
    apportion,
    reset_world,
)

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


# One world for the module's tests (shared_world.py); test_scenario_builds.py has the
# tests that build their own.
tiny_world = module_world(TINY)


# --- sizes and shape ---------------------------------------------------------------------


def test_tiny_world_has_the_requested_size(tiny_world):
    assert Association.objects.count() == 2
    assert Company.objects.count() == 3
    assert Membership.objects.count() == 6
    assert Site.all_tenants.count() == 10
    assert home_residents().count() == 400
    assert Staff.all_tenants.count() == 60
    assert set(Site.all_tenants.values_list("site_type", flat=True)) == set(Site.Type.values)
    assert set(Site.all_tenants.values_list("community__level", flat=True)) == {
        Division.Level.COMMUNITY
    }
    assert [s.name for s in tiny_world.steps] == [
        "divisions",
        "organisations",
        "sites",
        "estates",
        "staff",
        "accounts",
        "access",
        "health",
        "sanitation",
        "supplies",
        "reports",
        "notices",
        "publishing",
        "surveys",
        "volunteers",
        "consultations",
        "resumption",
        "training",
        "jobs",
        "market",
    ]
    assert tiny_world.steps[3].rows["residents"] == 400
    from firstline.access.models import Pass

    passes = Pass.all_tenants.select_related("resident")
    homes = passes.exclude(resident__in=office_staff())  # the resumption step's are its own
    assert tiny_world.steps[6].rows["passes"] == homes.count()
    assert all(p.resident.site_id == p.site_id for p in passes)


def test_every_row_belongs_to_its_sites_company(tiny_world):
    site_company = dict(Site.all_tenants.values_list("id", "company_id"))
    for model in (Household, Resident, Staff):
        pairs = set(model.all_tenants.values_list("site_id", "company_id"))
        assert all(site_company[site] == company for site, company in pairs), model
    assert Resident.all_tenants.exclude(household__site_id=F("site_id")).count() == 0


def test_households_are_rooms_of_residential_buildings(tiny_world):
    household = Household.all_tenants.select_related("building", "site").order_by("id").first()
    assert household.site.site_type == Site.Type.RESIDENTIAL
    assert household.building.site_id == household.site_id
    assert household.unit in {"1", "2", "3"}
    floor = int(household.room[:-2])
    assert 1 <= floor <= household.building.floors


# --- well-formed identifiers ----------------------------------------------------------------


def test_id_numbers_and_phones_are_valid_and_unique(tiny_world):
    ids, phones = [], []
    for resident in Resident.all_tenants.all():
        id_number, phone = get_personal(resident, "id_number"), get_personal(resident, "phone")
        validate_id_number(id_number)
        validate_phone(phone)
        assert int(id_number[6:10]) == resident.birth_year
        assert id_number.startswith("42")
        ids.append(id_number)
        phones.append(phone)
    for staff in Staff.all_tenants.all():
        phone = get_personal(staff, "phone")
        validate_phone(phone)
        phones.append(phone)
    staff = office_staff().count()
    assert len(set(ids)) == len(ids) == 400 + staff
    assert len(set(phones)) == len(phones) == 460 + staff


def test_credit_codes_are_valid(tiny_world):
    for code, division in Company.objects.values_list("credit_code", "division__code"):
        validate_credit_code(code)
        assert code[2:8] == division


def test_people_factory_numbers_are_well_formed():
    factory = PeopleFactory(random.Random(3))
    people = [factory.person(birth_year=1930 + i % 90) for i in range(3_000)]
    for person in people:
        validate_id_number(person.id_number)
        validate_phone(person.phone)
        born = date(
            int(person.id_number[6:10]), int(person.id_number[10:12]), int(person.id_number[12:14])
        )
        assert born.year == person.birth_year
        assert int(person.id_number[16]) % 2 == (1 if person.sex == "m" else 0)
        assert person.initials == name_initials(person.name)
    assert len({p.id_number for p in people}) == len({p.phone for p in people}) == 3_000


# --- personal data is sealed ----------------------------------------------------------------


def test_no_plaintext_phone_or_id_number_is_stored(tiny_world):
    for resident in Resident.all_tenants.order_by("?")[:25]:
        phone, id_number = get_personal(resident, "phone"), get_personal(resident, "id_number")
        stored = Resident.all_tenants.filter(pk=resident.pk).values().get()
        for value in stored.values():
            text = (
                bytes(value).decode("latin-1")
                if isinstance(value, (bytes, memoryview))
                else str(value)
            )
            assert phone not in text
            assert id_number not in text
        assert resident.phone_hmac == lookup_digest("phone", phone)
        assert resident.id_number_hmac == lookup_digest("id_number", id_number)
        assert resident.phone_masked == MASKERS["phone"](phone)
        assert resident.id_number_last4 == id_number[-4:]


def test_sealer_writes_what_core_crypto_reads():
    columns = Sealer().columns("id_number", "420103198001011234")

    assert unseal("id_number", columns["id_number_enc"]) == "420103198001011234"
    assert columns["id_number_hmac"] == lookup_digest("id_number", "420103198001011234")
    assert columns["id_number_masked"] == "4201**********1234"
    assert columns["id_number_last4"] == "1234"


# --- demo logins ----------------------------------------------------------------------------


def test_demo_accounts_file_lists_every_role(tiny_world):
    accounts = json.loads((settings.VAR_DIR / "demo-accounts.json").read_text())

    assert {a["role"] for a in accounts} == set(Role.values)
    admins = [a for a in accounts if a["role"] == Role.COMPANY_ADMIN]
    assert len({a["company"] for a in admins}) >= 2
    assert {a["username"] for a in accounts} >= {
        "assoc_admin",
        "assoc_staff",
        "admin_anju",
        "admin_huacheng",
        "manager_1",
        "guard_1",
        "cleaner_1",
        "health_1",
        "authority_jianghan",
        "resident_1",
        "donor_1",
    }
    # Every login shares the demo password; the job fair's other graduates have none.
    usable = User.objects.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    hashes = set(usable.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password(DEMO_PASSWORD, hashes.pop())
    for account in accounts:
        user = User.objects.get(username=account["username"])
        assert account["password"] == DEMO_PASSWORD
        assignment = RoleAssignment.objects.get(user=user)
        assert assignment.role == account["role"]
        assert assignment.target_allowed()
        company = assignment.company.name if assignment.company_id else None
        assert account.get("company") == company


def test_demo_logins_point_at_real_targets(tiny_world):
    manager = RoleAssignment.objects.select_related("site").get(user__username="manager_1")
    resident = RoleAssignment.objects.select_related("household").get(user__username="resident_1")
    authority = RoleAssignment.objects.select_related("division").get(
        user__username="authority_jianghan"
    )

    assert manager.site.site_type == Site.Type.RESIDENTIAL
    assert resident.household.site_id == manager.site_id
    assert resident.company_id == manager.company_id
    assert authority.division.name == "江汉区"
    assert Site.all_tenants.filter(community__code__startswith=authority.division.code).exists()
    linked = dict(
        Staff.all_tenants.filter(user__isnull=False).values_list("user__username", "position")
    )
    assert linked == {
        "manager_1": "manager",
        "guard_1": "guard",
        "cleaner_1": "cleaner",
        "health_1": "health",
    }
    assert set(Staff.all_tenants.filter(user__isnull=False).values_list("site_id", flat=True)) == {
        manager.site_id
    }


# --- existing worlds --------------------------------------------------------------------


def test_command_refuses_to_build_over_an_existing_world(tiny_world):
    with pytest.raises(CommandError) as raised:
        call_command("load_scenario", "--scale", "demo")

    assert raised.value.returncode == 2
    assert Company.objects.count() == 3
    assert home_residents().count() == 400


def test_reset_deletes_the_world_but_keeps_divisions_and_superusers(tiny_world):
    User.objects.create_superuser("root", password="a-long-admin-password")
    divisions = Division.objects.count()
    residents = Resident.all_tenants.count()

    deleted = reset_world()

    assert residents > 400 and deleted["estates.Resident"] == residents
    assert Company.objects.count() == Association.objects.count() == Site.all_tenants.count() == 0
    assert list(User.objects.values_list("username", flat=True)) == ["root"]
    assert Division.objects.count() == divisions


# --- helpers ----------------------------------------------------------------------------


def test_apportion_keeps_the_total_and_the_minimum():
    assert apportion(10, [0.7, 0.2, 0.1], minimum=1) == [7, 2, 1]
    assert apportion(3, [0.9, 0.05, 0.05], minimum=1) == [1, 1, 1]
    assert apportion(101, [1, 1]) in ([51, 50], [50, 51])
