"""The association's onboarding workbook: member companies and their sites.

Two sheets, 企业 and 项目. A site names its company by credit code: one in the
same file or a company already a member of this association (any other reads as
unknown, like a missing one). Divisions are written as codes or names
("武昌区/中南路街道/XX社区"); a name that fits two divisions asks for the code.
Everything is checked first; then companies, memberships, sites and one audit
row per company go in with bulk inserts in one transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.importing import (
    Column,
    ImportRejected,
    RowError,
    SheetSpec,
    cell_text,
    chunks,
    read_sheet,
    rejected,
    sheet_names,
)
from firstline.core.importing import (
    template_workbook as spec_workbook,
)
from firstline.core.models import AuditEvent
from firstline.core.personal.normalise import normalise_credit_code
from firstline.core.services import stored_actor
from firstline.estates.models import AuditAction, Site
from firstline.estates.services.records import name_initials
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership
from firstline.orgs.validators import validate_credit_code

PERMISSION = "orgs.add_company"
MAX_ROWS = 20_000
BATCH_SIZE = 1_000
COMPANIES = "企业"
SITES = "项目"
SITE_TYPES = {
    **{str(label): value for value, label in Site.Type.choices},
    **{value: value for value in Site.Type.values},
}


def _specs() -> tuple[SheetSpec, SheetSpec]:
    type_labels = tuple(str(label) for label in Site.Type.labels)
    companies = SheetSpec(
        COMPANIES,
        (
            Column("企业名称", "name", "必填 company name", 28),
            Column("统一社会信用代码", "credit_code", "必填 18-character credit code", 22, True),
            Column("注册地", "division", "必填 division code or name, e.g. 420106", 16, True),
            Column("联系人", "contact_name", "可空 contact", 10, required=False),
            Column("联系电话", "contact_phone", "可空 phone", 16, True, required=False),
            Column("地址", "address", "可空 address", 30, required=False),
        ),
        {
            "name": _("必填，不超过 128 字"),
            "credit_code": _("必填，18 位，校验位须正确；已登记的企业不能重复登记"),
            "division": _("必填，区划代码（如 420106）或名称（如 武昌区）"),
        },
    )
    sites = SheetSpec(
        SITES,
        (
            Column("企业信用代码", "company", "必填 the company's credit code", 22, True),
            Column("项目名称", "name", "必填 site name", 28),
            Column("项目类型", "site_type", "可空 type (空=住宅小区)", 12, choices=type_labels),
            Column("所属社区", "community", "必填 community code or 区/街道/社区", 24, True),
            Column("地址", "address", "可空 address", 30, required=False),
            Column("项目电话", "manager_phone", "可空 phone", 16, True, required=False),
        ),
        {
            "company": _("必填，本文件“企业”表中的或已登记会员企业的统一社会信用代码"),
            "name": _("必填，同一企业的项目名称不能重复"),
            "site_type": _("%(types)s，空为住宅小区") % {"types": "、".join(type_labels)},
            "community": _("必填，12 位社区代码，或写成“区/街道/社区”"),
        },
    )
    return companies, sites


def template_workbook() -> bytes:
    return spec_workbook(
        _specs(),
        max_rows=MAX_ROWS,
        closing_notes=[_("两张表可以只填一张：只登记企业，或为已登记的企业添加项目。")],
    )


# --- divisions ----------------------------------------------------------------------


class DivisionIndex:
    """Every division, loaded once, found by code, by name or by a path of names."""

    def __init__(self):
        rows = list(Division.objects.values_list("id", "code", "name", "level", "parent_id"))
        self.by_code = {code: (pk, level) for pk, code, _name, level, _parent in rows}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.info = {pk: (name, level, parent) for pk, _code, name, level, parent in rows}
        for pk, _code, name, _level, _parent in rows:
            self.by_name[name].append(pk)

    def _ancestor_names(self, pk: int) -> list[str]:
        names = []
        parent = self.info[pk][2]
        while parent is not None:
            names.append(self.info[parent][0])
            parent = self.info[parent][2]
        return names  # nearest first

    def find(self, text: str, *, level: int | None = None) -> tuple[int | None, str]:
        """(division id, "") or (None, why not)."""
        text = text.strip()
        if not text:
            return None, _("不能为空")
        if re.fullmatch(r"\d{2,12}", text):
            found = self.by_code.get(text)
            if found is None:
                return None, _("没有区划代码为 %(c)s 的地区") % {"c": text}
            pk, found_level = found
        else:
            parts = [p for p in re.split(r"[/／>\s,，、-]+", text) if p]
            candidates = [
                pk
                for pk in self.by_name.get(parts[-1], [])
                if _ends_with(self._ancestor_names(pk), list(reversed(parts[:-1])))
                and (level is None or self.info[pk][1] == level)
            ]
            if not candidates:
                return None, _("找不到地区“%(t)s”，请填写区划代码") % {"t": text}
            if len(candidates) > 1:
                return None, _("“%(t)s”有 %(n)d 个同名地区，请填写区划代码或上级名称") % {
                    "t": text,
                    "n": len(candidates),
                }
            pk, found_level = candidates[0], self.info[candidates[0]][1]
        if level is not None and found_level != level:
            return None, _("应为%(level)s级区划") % {"level": Division.Level(level).label}
        return pk, ""


def _ends_with(ancestors: list[str], wanted: list[str]) -> bool:
    """Whether the nearest ancestors' names are `wanted` (nearest first)."""
    return ancestors[: len(wanted)] == wanted


# --- checking -----------------------------------------------------------------------


@dataclass
class Plan:
    """What the file will register once every row is valid."""

    companies: list[Company]
    sites: list[tuple[str, Site]]  # (company credit code, unsaved site)


def _field_errors(
    obj, sheet: str, row: int, header_of: dict[str, str], exclude: list[str]
) -> list[RowError]:
    """The model's own field checks (lengths, formats) as row errors."""
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return [
            RowError(row, header_of.get(name, name), " ".join(messages), sheet)
            for name, messages in exc.message_dict.items()
        ]
    return []


class MembersValidator:
    def __init__(self, association: Association):
        self.association = association
        self.divisions = DivisionIndex()
        self.errors: list[RowError] = []
        self.company_rows: dict[str, int] = {}  # credit code → row in this file
        self.plan = Plan([], [])

    def companies(self, rows, spec: SheetSpec) -> None:
        header = spec.header_of
        for number, cells in rows:
            text = {name: cell_text(value) for name, value in cells.items()}
            before = len(self.errors)

            def error(name, message, number=number):
                self.errors.append(RowError(number, header[name], message, COMPANIES))

            code = normalise_credit_code(text["credit_code"])
            if not code:
                error("credit_code", _("统一社会信用代码不能为空"))
            else:
                try:
                    validate_credit_code(code)
                except ValidationError as exc:
                    error("credit_code", " ".join(exc.messages))
                else:
                    first = self.company_rows.setdefault(code, number)
                    if first != number:
                        error("credit_code", _("与第 %(n)d 行的信用代码重复") % {"n": first})
            if not text["name"]:
                error("name", _("企业名称不能为空"))
            division, why = self.divisions.find(text["division"])
            if division is None:
                error("division", why)
            company = Company(
                name=text["name"],
                credit_code=code,
                division_id=division,
                contact_name=text["contact_name"],
                contact_phone=text["contact_phone"],
                address=text["address"],
            )
            self.errors.extend(
                _field_errors(
                    company, COMPANIES, number, header, ["credit_code", "division", "status"]
                )
            )
            if len(self.errors) == before:
                self.plan.companies.append(company)
        registered = set()
        for chunk in chunks(list(self.company_rows), BATCH_SIZE):
            registered.update(
                Company.objects.filter(credit_code__in=chunk).values_list("credit_code", flat=True)
            )
        for code in sorted(registered, key=self.company_rows.get):
            self.errors.append(
                RowError(
                    self.company_rows[code],
                    header["credit_code"],
                    _("该信用代码的企业已登记，不能重复登记"),
                    COMPANIES,
                )
            )

    def sites(self, rows, spec: SheetSpec) -> None:
        header = spec.header_of
        codes = {normalise_credit_code(cell_text(cells["company"])) for _n, cells in rows}
        members = self._members(codes - set(self.company_rows))
        taken = self._site_names(members.values())
        seen: dict[tuple[str, str], int] = {}
        for number, cells in rows:
            text = {name: cell_text(value) for name, value in cells.items()}
            before = len(self.errors)

            def error(name, message, number=number):
                self.errors.append(RowError(number, header[name], message, SITES))

            code = normalise_credit_code(text["company"])
            company_id = members.get(code)
            if not code:
                error("company", _("企业信用代码不能为空"))
            elif code not in self.company_rows and company_id is None:
                error(
                    "company",
                    _("“企业”表和本协会的会员中都没有信用代码为 %(c)s 的企业") % {"c": code},
                )
            name = text["name"]
            if not name:
                error("name", _("项目名称不能为空"))
            elif code:
                first = seen.setdefault((code, name), number)
                if first != number:
                    error("name", _("与第 %(n)d 行是同一企业的同名项目") % {"n": first})
                elif (company_id, name) in taken:
                    error("name", _("该企业已有同名项目"))
            site_type = SITE_TYPES.get(text["site_type"] or Site.Type.RESIDENTIAL)
            if site_type is None:
                error(
                    "site_type",
                    _("项目类型应为 %(types)s 之一")
                    % {"types": "、".join(str(label) for label in Site.Type.labels)},
                )
            community, why = self.divisions.find(text["community"], level=Division.Level.COMMUNITY)
            if community is None:
                error("community", why)
            site = Site(
                company_id=company_id,
                name=name,
                name_initials=name_initials(name),
                site_type=site_type or Site.Type.RESIDENTIAL,
                community_id=community,
                address=text["address"],
                manager_phone=text["manager_phone"],
            )
            self.errors.extend(
                _field_errors(site, SITES, number, header, ["company", "community", "site_type"])
            )
            if len(self.errors) == before:
                self.plan.sites.append((code, site))

    def _members(self, codes: set[str]) -> dict[str, int]:
        """Credit code → id of this association's member companies among `codes`."""
        found = {}
        for chunk in chunks(sorted(c for c in codes if c), BATCH_SIZE):
            found.update(
                Company.objects.filter(
                    credit_code__in=chunk, memberships__association=self.association
                ).values_list("credit_code", "id")
            )
        return found

    def _site_names(self, company_ids) -> set[tuple[int, str]]:
        taken = set()
        for chunk in chunks(sorted(set(company_ids)), BATCH_SIZE):
            taken.update(
                Site.all_tenants.filter(company_id__in=chunk).values_list("company_id", "name")
            )
        return taken


# --- writing ------------------------------------------------------------------------


def members_insert(*, actor, association: Association, plan: Plan, file_name: str) -> dict:
    """Companies, their memberships, the sites and one audit row per company touched,
    all in one transaction. A company or site someone registered meanwhile breaks a
    unique constraint: nothing is kept and the file is rejected."""
    today = timezone.localdate()
    try:
        with transaction.atomic():
            Company.objects.bulk_create(plan.companies, batch_size=BATCH_SIZE)
            Membership.objects.bulk_create(
                [
                    Membership(company_id=c.pk, association=association, joined_on=today)
                    for c in plan.companies
                ],
                batch_size=BATCH_SIZE,
            )
            new_ids = {c.credit_code: c.pk for c in plan.companies}
            per_company: dict[int, int] = defaultdict(int)
            for code, site in plan.sites:
                if site.company_id is None:
                    site.company_id = new_ids[code]
                per_company[site.company_id] += 1
            Site.all_tenants.bulk_create([site for _c, site in plan.sites], batch_size=BATCH_SIZE)
            who = stored_actor(actor)
            touched = {c.pk for c in plan.companies} | set(per_company)
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        company_id=company_id,
                        actor=who,
                        action=AuditAction.MEMBERS_IMPORT,
                        object_type="orgs.company",
                        object_id=str(company_id),
                        changes={
                            "file": file_name,
                            "company_created": company_id in new_ids.values(),
                            "sites": per_company.get(company_id, 0),
                        },
                    )
                    for company_id in sorted(touched)
                ],
                batch_size=BATCH_SIZE,
            )
    except IntegrityError as exc:
        raise ImportRejected(
            _("导入期间有人登记了相同的企业或项目，未导入任何数据，请重新上传。")
        ) from exc
    return {"companies": len(plan.companies), "sites": len(plan.sites)}


def members_import(
    *,
    actor,
    association: Association,
    path: Path | str,
    file_name: str = "",
    set_total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> dict:
    """Register the workbook's companies and sites: {"companies": n, "sites": m}, or
    ImportRejected naming every problem, with nothing written."""
    companies_spec, sites_spec = _specs()
    present = sheet_names(path)
    if COMPANIES not in present and SITES not in present:
        raise ImportRejected(
            _("文件中没有“%(a)s”或“%(b)s”工作表，请使用导入模板。") % {"a": COMPANIES, "b": SITES}
        )
    company_rows = read_sheet(
        path, companies_spec, max_rows=MAX_ROWS, first_if_missing=False, named=True
    )
    site_rows = read_sheet(path, sites_spec, max_rows=MAX_ROWS, first_if_missing=False, named=True)
    if not company_rows and not site_rows:
        raise ImportRejected(_("文件中没有企业或项目数据。"))
    set_total(len(company_rows) + len(site_rows) + 1)
    validator = MembersValidator(association)
    validator.companies(company_rows, companies_spec)
    advance(len(company_rows))
    validator.sites(site_rows, sites_spec)
    advance(len(site_rows))
    if validator.errors:
        raise rejected(validator.errors, [companies_spec, sites_spec])
    counts = members_insert(
        actor=actor, association=association, plan=validator.plan, file_name=file_name
    )
    advance(1)
    return counts
