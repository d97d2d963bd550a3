"""A small, complete world for tests: two companies, each with two sites (a building,
a household and residents at each), and a user for every role. Built with the same
services the pages use where it matters (sealing), and plain inserts elsewhere.

    world.a            company a's first site, in 江汉区 (its users: company admin, the
                       first site's manager, guard, cleaner, health officer, a resident)
    world.a.sibling    company a's second site (a锦苑), in 武昌区: same shape, same company
                       admin, site-scoped users of its own (a2_manager, …; residents
                       a2张伟, a2李娜). What a site-scoped user of world.a must never see.
    world.b            company b's first site, in 武昌区 (b.sibling: its second, also there)

The authority viewer holds 江汉区 (420103): only world.a.site lies in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import id_check_char
from firstline.estates.models import Building, Household, Resident, Site, Staff
from firstline.estates.services.records import name_initials
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User
from firstline.orgs.validators import credit_code_check_char

PASSWORD = "correct-horse-battery"


def make_id_number(serial: int, birth: str = "19800101", region: str = "420102") -> str:
    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def make_credit_code(serial: int) -> str:
    first17 = f"91420100MA{serial:07d}"
    return first17 + credit_code_check_char(first17)


def divisions() -> dict[str, Division]:
    out = {}
    for code, name, level, parent in [
        ("42", "湖北省", 1, None),
        ("4201", "武汉市", 2, "42"),
        ("420103", "江汉区", 3, "4201"),
        ("420103001", "民族街道", 4, "420103"),
        ("420103001001", "友谊社区", 5, "420103001"),
        ("420106", "武昌区", 3, "4201"),
        ("420106001", "积玉桥街道", 4, "420106"),
        ("420106001001", "临江社区", 5, "420106001"),
        ("420106002", "中华路街道", 4, "420106"),
        ("420106002001", "户部巷社区", 5, "420106002"),
    ]:
        out[code], _ = Division.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": out.get(parent)}
        )
    return out


@dataclass
class Tenant:
    """One site's corner of a company's world (the company's first site, or, as
    `sibling`, its second)."""

    company: Company
    site: Site
    building: Building
    household: Household
    residents: list[Resident]
    staff: Staff
    users: dict[str, User] = field(default_factory=dict)
    sibling: Tenant | None = None  # the company's second site (None on the sibling itself)

    @property
    def corners(self) -> tuple[Tenant, ...]:
        """This site and the company's second site: what a fixture furnishes."""
        return (self, self.sibling) if self.sibling else (self,)


@dataclass
class World:
    association: Association
    a: Tenant
    b: Tenant
    users: dict[str, User]
    divisions: dict[str, Division]


def make_user(username: str, role: str | None = None, **target) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if role:
        RoleAssignment.objects.create(user=user, role=role, **target)
    return user


def make_resident(
    *, household: Household, name: str, phone: str, id_number: str, **extra
) -> Resident:
    resident = Resident(
        company_id=household.company_id,
        site_id=household.site_id,
        household=household,
        name=name,
        name_initials=name_initials(name),
        birth_year=1980,
        **extra,
    )
    set_personal(resident, "phone", phone)
    set_personal(resident, "id_number", id_number)
    resident.save()
    return resident


SITE_ROLES = ("site_manager", "guard", "cleaner", "health_officer")


def make_tenant(
    *,
    key: str,
    serial: int,
    community: Division,
    association: Association,
    sibling_community: Division,
) -> Tenant:
    company = Company.objects.create(
        name=f"{key}物业服务有限公司",
        credit_code=make_credit_code(serial),
        division=community.parent.parent,
    )
    Membership.objects.create(company=company, association=association, joined_on="2019-01-01")
    admin = make_user(f"{key}_admin", "company_admin", company=company)
    tenant = make_corner(company, key=key, serial=serial, community=community, admin=admin)
    tenant.sibling = make_corner(  # named to sort after the first (pages order sites by name)
        company,
        key=f"{key}2",
        serial=serial + 10,
        community=sibling_community,
        admin=admin,
        site_name=f"{key}锦苑",
    )
    return tenant


def make_corner(
    company: Company,
    *,
    key: str,
    serial: int,
    community: Division,
    admin: User,
    site_name: str = "",
) -> Tenant:
    """A site of `company` with a building, a household of two residents, a guard on
    the staff, and a user per site role plus the household's resident; `admin` is the
    company's admin."""
    site_name = site_name or f"{key}花园"
    site = Site.all_tenants.create(
        company=company,
        name=site_name,
        name_initials=name_initials(site_name),
        community=community,
    )
    building = Building.all_tenants.create(company=company, site=site, name="1栋", floors=18)
    household = Household.all_tenants.create(
        company=company, site=site, building=building, unit="1", room="301"
    )
    residents = [
        make_resident(
            household=household,
            name=f"{key}张伟",
            phone=f"1380000{serial:02d}01",
            id_number=make_id_number(serial * 10 + 1),
        ),
        make_resident(
            household=household,
            name=f"{key}李娜",
            phone=f"1390000{serial:02d}02",
            id_number=make_id_number(serial * 10 + 2),
            lives_alone_elderly=True,
        ),
    ]
    staff = Staff.all_tenants.create(
        company=company, site=site, name=f"{key}保安", position=Staff.Position.GUARD
    )
    tenant = Tenant(company, site, building, household, residents, staff)
    short = {"site_manager": "manager", "health_officer": "health"}
    tenant.users = {"company_admin": admin} | {
        role: make_user(f"{key}_{short.get(role, role)}", role, company=company, site=site)
        for role in SITE_ROLES
    }
    tenant.users["resident"] = make_user(
        f"{key}_resident", "resident", company=company, household=household
    )
    return tenant


def build_world() -> World:
    divs = divisions()
    association = Association.objects.create(name="中国物业管理协会", short_name="中物协")
    # a's second site lies in the other district (武昌区), b's two both there: the
    # authority of 江汉区 sees one site of the four.
    a = make_tenant(
        key="a",
        serial=1,
        community=divs["420103001001"],
        association=association,
        sibling_community=divs["420106002001"],
    )
    b = make_tenant(
        key="b",
        serial=2,
        community=divs["420106001001"],
        association=association,
        sibling_community=divs["420106002001"],
    )
    users = {
        "association_admin": make_user("assoc", "association_admin", association=association),
        "authority_viewer": make_user("authority", "authority_viewer", division=divs["420103"]),
        "no_role": make_user("nobody"),
    }
    return World(association=association, a=a, b=b, users=users, divisions=divs)
