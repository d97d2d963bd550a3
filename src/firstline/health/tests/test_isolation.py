"""Isolation cases: opening (one per resident, facility capacity), checks with
escalation, release, and the missed-check alerts at their deadlines (frozen time)."""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from firstline.health.models import HealthAlert, IsolationCase, IsolationFacility
from firstline.health.services import isolation
from firstline.health.services.isolation import (
    check_record,
    isolation_extend,
    isolation_open,
    isolation_release,
    missed_checks_raise,
)

ZONE = timezone.get_default_timezone()
DAY = date(2020, 2, 3)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZONE)


def open_case(tenant, resident=None, **kw) -> IsolationCase:
    kw.setdefault("kind", "home")
    kw.setdefault("reason", "武汉返回")
    kw.setdefault("start_date", timezone.localdate())
    return isolation_open(actor=None, resident=resident or tenant.residents[0], **kw)


def facility(tenant, capacity=1) -> IsolationFacility:
    return IsolationFacility.all_tenants.create(
        company=tenant.company, name="江汉区集中隔离点", capacity=capacity
    )


def alerts(kind=HealthAlert.Kind.MISSED_CHECK):
    return sorted(HealthAlert.all_tenants.filter(kind=kind).values_list("key", flat=True))


# --- opening ------------------------------------------------------------------------------


def test_open_defaults_to_fourteen_days(world):
    case = open_case(world.a, start_date=DAY)
    assert case.planned_end == date(2020, 2, 17)
    assert case.state == "active" and case.household_id == world.a.household.pk


def test_one_open_case_per_resident(world):
    open_case(world.a)
    with pytest.raises(ValidationError) as exc:
        open_case(world.a)
    assert "resident" in exc.value.message_dict


def test_central_needs_a_facility_with_a_free_bed(world):
    with pytest.raises(ValidationError) as exc:
        open_case(world.a, kind="central")
    assert "facility" in exc.value.message_dict
    point = facility(world.a, capacity=1)
    open_case(world.a, kind="central", facility=point)
    with pytest.raises(ValidationError) as exc:
        open_case(world.a, resident=world.a.residents[1], kind="central", facility=point)
    assert "已满" in exc.value.message_dict["facility"][0]


def test_released_case_frees_its_bed_and_allows_a_new_case(world):
    point = facility(world.a, capacity=1)
    case = open_case(world.a, kind="central", facility=point)
    isolation_release(actor=None, case=case, note="两次核酸阴性")
    second = open_case(world.a, resident=world.a.residents[1], kind="central", facility=point)
    again = open_case(world.a)  # the first resident again, now at home
    case.refresh_from_db()
    assert case.state == "released" and case.released_at is not None
    assert (second.facility_id, second.state) == (point.pk, "active")
    assert (again.resident_id, again.kind, again.state) == (case.resident_id, "home", "active")


def test_facility_of_another_company_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        open_case(world.a, kind="central", facility=facility(world.b, capacity=5))
    assert "facility" in exc.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_two_openings_at_once_cannot_overfill_a_facility(world):
    """Two threads race for the last bed; the row lock (PostgreSQL) or the immediate
    write transaction (SQLite) lets exactly one through."""
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("in-memory SQLite is one connection")
    point = facility(world.a, capacity=1)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(resident):
        try:
            barrier.wait()
            open_case(world.a, resident=resident, kind="central", facility=point)
            results.append("ok")
        except ValidationError:
            results.append("full")
        except Exception as exc:  # SQLite may answer "database is locked": also refused
            results.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(r,)) for r in world.a.residents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert IsolationCase.all_tenants.filter(facility=point).count() == 1


def test_extend_moves_the_end_later_only(world):
    case = open_case(world.a, start_date=DAY)
    with pytest.raises(ValidationError) as exc:
        isolation_extend(actor=None, case=case, new_end=date(2020, 2, 10), reason="复查")
    assert "planned_end" in exc.value.message_dict
    isolation_extend(actor=None, case=case, new_end=date(2020, 2, 24), reason="密接者延长观察")
    case.refresh_from_db()
    assert case.planned_end == date(2020, 2, 24)


def test_release_records_note_and_time(world):
    case = open_case(world.a)
    with pytest.raises(ValidationError):
        isolation_release(actor=None, case=case, note=" ")
    isolation_release(actor=world.a.users["health_officer"], case=case, note="期满，体温正常")
    case.refresh_from_db()
    assert case.state == "released" and case.released_at and case.release_note
    with pytest.raises(ValidationError):
        isolation_release(actor=None, case=case, note="again")


# --- checks -------------------------------------------------------------------------------


def test_check_once_per_slot_with_a_clear_error(world):
    with time_machine.travel(at(DAY, 9), tick=False):
        case = open_case(world.a, start_date=DAY)
        check_record(case=case, day=DAY, slot="am", temperature="36.5", by="self")
        with pytest.raises(ValidationError) as exc:
            check_record(case=case, day=DAY, slot="am", temperature="36.6", by="staff")
    assert exc.value.message_dict["slot"] == ["该时段已上报。"]


@pytest.mark.parametrize("value", ["33.9", "43.1", "abc", None])
def test_temperature_out_of_range_names_the_field(world, value):
    case = open_case(world.a)
    with pytest.raises(ValidationError) as exc:
        check_record(case=case, day=case.start_date, slot="am", temperature=value, by="self")
    assert "temperature" in exc.value.message_dict


def test_check_in_the_future_is_refused(world):
    with time_machine.travel(at(DAY, 9), tick=False):
        case = open_case(world.a, start_date=DAY)
        with pytest.raises(ValidationError) as exc:
            check_record(case=case, day=date(2020, 2, 4), slot="am", temperature="36.5", by="self")
    assert "day" in exc.value.message_dict


@pytest.mark.parametrize(
    ("temperature", "symptoms", "kind"),
    [("37.3", [], "fever"), ("38.5", ["cough"], "fever"), ("36.6", ["cough"], "symptoms")],
)
def test_fever_or_symptoms_escalate_with_an_alert(world, temperature, symptoms, kind):
    with time_machine.travel(at(DAY, 9), tick=False):
        case = open_case(world.a, start_date=DAY)
        result = check_record(
            case=case, day=DAY, slot="am", temperature=temperature, symptoms=symptoms, by="self"
        )
    assert result.escalated
    case.refresh_from_db()
    assert case.state == "escalated"
    assert alerts(kind) == [f"{case.pk}:{DAY.isoformat()}:am"]
    alert = HealthAlert.all_tenants.get(kind=kind)
    assert alert.site_id == world.a.site.pk and "a张伟" in alert.message


def test_normal_check_does_not_escalate(world):
    with time_machine.travel(at(DAY, 9), tick=False):
        case = open_case(world.a, start_date=DAY)
        assert not check_record(
            case=case, day=DAY, slot="am", temperature="37.2", by="self"
        ).escalated
    case.refresh_from_db()
    assert case.state == "active"
    assert not HealthAlert.all_tenants.exists()


def test_unknown_symptom_is_refused(world):
    case = open_case(world.a)
    with pytest.raises(ValidationError) as exc:
        check_record(
            case=case, day=case.start_date, slot="am", temperature="36.5", symptoms=["x"], by="self"
        )
    assert "symptoms" in exc.value.message_dict


# --- missed checks ------------------------------------------------------------------------


def test_morning_check_is_missed_at_noon_not_before(world):
    with time_machine.travel(at(DAY, 8), tick=False):
        case = open_case(world.a, start_date=DAY)
    with time_machine.travel(at(DAY, 11, 59), tick=False):
        assert missed_checks_raise() == 0
    assert alerts() == []
    with time_machine.travel(at(DAY, 12, 0), tick=False):
        missed_checks_raise()
    assert alerts() == [f"{case.pk}:2020-02-03:am"]
    alert = HealthAlert.all_tenants.get()
    assert alert.due_at == at(DAY, 12) and alert.case_id == case.pk
    assert alert.message == "a张伟 02-03上午体温检测未上报"


def test_evening_check_is_missed_at_eight_pm(world):
    with time_machine.travel(at(DAY, 8), tick=False):
        case = open_case(world.a, start_date=DAY)
        check_record(case=case, day=DAY, slot="am", temperature="36.4", by="self")
    with time_machine.travel(at(DAY, 19, 59), tick=False):
        missed_checks_raise()
    assert alerts() == []
    with time_machine.travel(at(DAY, 20, 1), tick=False):
        missed_checks_raise()
    assert alerts() == [f"{case.pk}:2020-02-03:pm"]


def test_check_in_time_raises_nothing_and_running_twice_raises_once(world):
    with time_machine.travel(at(DAY, 8), tick=False):
        case = open_case(world.a, start_date=DAY)
        other = open_case(world.b, start_date=DAY)
    with time_machine.travel(at(DAY, 11, 30), tick=False):
        check_record(case=case, day=DAY, slot="am", temperature="36.5", by="self")
    with time_machine.travel(at(DAY, 12, 5), tick=False):
        missed_checks_raise()
        missed_checks_raise()
    assert alerts() == [f"{other.pk}:2020-02-03:am"]
    assert HealthAlert.all_tenants.get().company_id == world.b.company.pk


def test_days_run_from_start_to_planned_end_and_not_before_opening(world):
    """Opened at 15:00: the morning of the first day is not owed. Three days later, the
    missing slots are the first evening and both slots of the next two days; none
    after the planned end; a released case raises nothing more."""
    with time_machine.travel(at(DAY, 15), tick=False):
        case = open_case(world.a, start_date=DAY, planned_end=date(2020, 2, 5))
    with time_machine.travel(at(date(2020, 2, 8), 21), tick=False):
        missed_checks_raise()
    assert alerts() == [
        f"{case.pk}:2020-02-03:pm",
        f"{case.pk}:2020-02-04:am",
        f"{case.pk}:2020-02-04:pm",
        f"{case.pk}:2020-02-05:am",
        f"{case.pk}:2020-02-05:pm",
    ]
    released = open_case(world.b, start_date=DAY)
    isolation_release(actor=None, case=released, note="转院")
    with time_machine.travel(at(date(2020, 2, 9), 21), tick=False):
        missed_checks_raise()
    assert len(alerts()) == 5


def test_deadlines_are_local_time():
    assert isolation.slot_deadline(DAY, "am").utcoffset().total_seconds() == 8 * 3600
    assert isolation.current_slot(at(DAY, 11, 59)) == "am"
    assert isolation.current_slot(at(DAY, 12, 0)) == "pm"


def test_fever_threshold_follows_company_config(world):
    from firstline.health.models import ScreeningConfig

    ScreeningConfig.all_tenants.create(company=world.a.company, fever_threshold=Decimal("37.5"))
    with time_machine.travel(at(DAY, 9), tick=False):
        case = open_case(world.a, start_date=DAY)
        assert not check_record(
            case=case, day=DAY, slot="am", temperature="37.4", by="self"
        ).escalated
