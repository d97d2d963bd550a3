"""Submitting declarations: validation, one current declaration, screening, worklist, alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.health.models import (
    AuditAction,
    Declaration,
    DeclarationPlace,
    HealthAlert,
    RiskArea,
    RiskList,
    ScreeningConfig,
    WorkItem,
)
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_reasons,
    declaration_submit,
)

NOW = timezone.make_aware(datetime(2020, 2, 3, 10, 0))
TODAY = date(2020, 2, 3)


def risk_list(*areas: tuple[str, str, str]) -> RiskList:
    """A current list with (division_code, name, level) areas valid since January."""
    lst = RiskList.objects.create(
        name="测试名单", version=1, published_at=NOW, area_count=len(areas)
    )
    RiskArea.objects.bulk_create(
        RiskArea(risk_list=lst, division_code=c, name=n, level=lv, valid_from=date(2020, 1, 1))
        for c, n, lv in areas
    )
    return lst


def submit(resident, **data):
    consent = consent_record(resident=resident, channel="staff", now=NOW)
    return declaration_submit(
        resident=resident, data=DeclarationInput(**data), channel="staff", consent=consent, now=NOW
    )


@pytest.fixture
def areas(world):
    return risk_list(("420103", "武汉市江汉区", "high"), ("", "华南海鲜市场", "medium"))


def test_high_risk_visit_is_red_with_reason_workitem_and_alert(world, areas):
    resident = world.a.residents[0]
    d = submit(
        resident,
        places=(PlaceInput("武汉市江汉区", date(2020, 1, 25), "420103001"),),
        temperature=Decimal("36.5"),
    )
    assert d.status == "red" and d.current and d.screened_at == NOW
    assert DeclarationPlace.all_tenants.get(declaration=d).company_id == world.a.company.pk
    item = WorkItem.all_tenants.get(resident=resident)
    assert (item.level, item.state, item.declaration_id) == ("red", "open", d.pk)
    alert = HealthAlert.all_tenants.get(resident=resident)
    assert alert.kind == "red_screening" and alert.site_id == world.a.site.pk
    assert declaration_reasons(d, as_of=TODAY) == [
        "到访 武汉市江汉区（高风险），2020-01-25，14 天内"
    ]
    assert AuditEvent.objects.filter(
        action=AuditAction.DECLARATION_SUBMIT, object_id=str(d.pk)
    ).exists()


def test_named_place_yellow_then_new_declaration_replaces_and_raises_level(world, areas):
    resident = world.a.residents[0]
    first = submit(resident, places=(PlaceInput("华南海鲜市场附近", date(2020, 1, 30)),))
    assert first.status == "yellow"
    assert WorkItem.all_tenants.get(resident=resident).level == "yellow"
    second = submit(resident, contact_confirmed=True)
    first.refresh_from_db()
    assert not first.current and second.current and second.status == "red"
    items = WorkItem.all_tenants.filter(resident=resident)
    assert [(i.level, i.declaration_id) for i in items] == [("red", second.pk)]
    third = submit(resident, symptoms=("cough",))  # yellow: the open red item stays red
    assert third.status == "yellow"
    assert WorkItem.all_tenants.get(resident=resident).level == "red"
    assert Declaration.all_tenants.filter(resident=resident, current=True).count() == 1


def test_green_declaration_opens_nothing(world, areas):
    d = submit(world.a.residents[0], places=(PlaceInput("北京市朝阳区", TODAY, "110105"),))
    assert d.status == "green"
    assert not WorkItem.all_tenants.exists() and not HealthAlert.all_tenants.exists()


def test_company_config_applies(world, areas):
    ScreeningConfig.all_tenants.create(company=world.a.company, symptoms="red", window_days=7)
    d = submit(world.a.residents[0], symptoms=("fever",))
    assert d.status == "red"
    with pytest.raises(ValidationError) as exc:  # 10 days ago is outside the 7-day window
        submit(world.a.residents[0], places=(PlaceInput("武汉", TODAY - timedelta(days=10)),))
    assert "places" in exc.value.message_dict


@pytest.mark.parametrize(
    "data, field",
    [
        ({"places": (PlaceInput("武汉", TODAY + timedelta(days=1)),)}, "places"),
        ({"places": (PlaceInput("武汉", TODAY - timedelta(days=14)),)}, "places"),
        ({"places": (PlaceInput("", TODAY),)}, "places"),
        ({"places": (PlaceInput("武汉", TODAY, "42x"),)}, "places"),
        ({"temperature": Decimal("33.9")}, "temperature"),
        ({"temperature": Decimal("43.1")}, "temperature"),
        ({"symptoms": ("headache",)}, "symptoms"),
        ({"return_date": TODAY + timedelta(days=1)}, "return_date"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, data, field):
    with pytest.raises(ValidationError) as exc:
        submit(world.a.residents[0], **data)
    assert field in exc.value.message_dict
    assert not Declaration.all_tenants.exists()


def test_boundaries_accepted(world):
    d = submit(
        world.a.residents[0],
        places=(PlaceInput("武汉", TODAY - timedelta(days=13)), PlaceInput("武汉", TODAY)),
        temperature=Decimal("34.0"),
    )
    assert d.status == "green"
    d = submit(world.a.residents[0], temperature=Decimal("43.0"))
    assert d.status == "red"  # fever


def test_consent_must_be_the_residents_and_not_withdrawn(world):
    mine, other = world.a.residents
    consent = consent_record(resident=other, channel="staff", now=NOW)
    with pytest.raises(ValidationError) as exc:
        declaration_submit(
            resident=mine, data=DeclarationInput(), channel="staff", consent=consent, now=NOW
        )
    assert "consent" in exc.value.message_dict
    own = consent_record(resident=mine, channel="self", now=NOW)
    assert consent_record(resident=mine, channel="staff", now=NOW).pk == own.pk  # reused
    own.withdrawn_at = NOW
    own.save()
    with pytest.raises(ValidationError):
        declaration_submit(
            resident=mine, data=DeclarationInput(), channel="self", consent=own, now=NOW
        )
    assert consent_record(resident=mine, channel="self", now=NOW).pk != own.pk


# --- bulk import ------------------------------------------------------------------------------


def workbook(*rows) -> bytes:
    from io import BytesIO

    from openpyxl import load_workbook

    from firstline.health.services.declarations_import import declarations_template

    wb = load_workbook(BytesIO(declarations_template()))
    ws = wb["行程申报"]
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_finds_residents_screens_and_opens_the_worklist(world, areas):
    from firstline.health.services.declarations_import import declarations_import

    a1, a2 = world.a.residents
    today = timezone.localdate()
    visit = f"420103 武汉市江汉区@{(today - timedelta(days=2)).isoformat()}"
    data = workbook(
        ["1栋", "1", "301", a1.name, "", visit, "", "G1234", "否", "否", "", "36.5", "是"],
        ["", "", "", a2.name, a2.phone_last4, "", "", "", "否", "否", "干咳", "", "是"],
    )
    result = declarations_import(
        actor=world.a.users["health_officer"], site=world.a.site, file=data
    )
    assert (result.imported, result.red, result.yellow) == (2, 1, 1)
    d1 = Declaration.all_tenants.get(resident=a1, current=True)
    assert d1.channel == "import" and d1.transport == "G1234" and d1.status == "red"
    assert DeclarationPlace.all_tenants.get(declaration=d1).division_code == "420103"
    assert WorkItem.all_tenants.filter(company=world.a.company).count() == 2


def test_import_rejects_the_file_naming_rows_and_columns(world):
    from firstline.health.services.declarations_import import declarations_import

    a1, a2 = world.a.residents
    b1 = world.b.residents[0]
    data = workbook(
        ["1栋", "1", "301", a1.name, "", "武汉@昨天", "", "", "否", "否", "", "36.5", "是"],
        ["1栋", "1", "301", b1.name, "", "", "", "", "否", "否", "", "", "是"],  # other company
        ["", "", "", a2.name, a2.phone_last4, "", "", "", "也许", "否", "头痛", "50", "否"],
    )
    with pytest.raises(ValidationError) as exc:
        declarations_import(actor=None, site=world.a.site, file=data)
    rows = exc.value.message_dict["rows"]
    for prefix in (
        "第 2 行【到访地点】",
        "第 3 行【房号】",
        "第 4 行【接触确诊】",
        "第 4 行【症状】",
        "第 4 行【已同意】",
        "第 4 行【体温】",
    ):
        assert any(m.startswith(prefix) for m in rows), (prefix, rows)
    assert not Declaration.all_tenants.exists()


def test_import_unreadable_file(world):
    from firstline.health.services.declarations_import import declarations_import

    with pytest.raises(ValidationError) as exc:
        declarations_import(actor=None, site=world.a.site, file=b"not a workbook")
    assert "file" in exc.value.message_dict
