"""The demo's health data (issue #4): there, consistent with itself and with the
screening rules, and something to see for the demo logins."""

from collections import Counter, defaultdict
from datetime import time, timedelta

import pytest
from django.db.models import Count, F, PositiveIntegerField, Q
from django.utils import timezone

from firstline.estates.models import Resident
from firstline.health.models import (
    Consent,
    Declaration,
    DeclarationPlace,
    FollowUpCall,
    HealthAlert,
    HealthDailyCount,
    IsolationCase,
    IsolationCheck,
    IsolationFacility,
    RiskArea,
    RiskList,
    Status,
    SupportRequest,
    VulnerableCheck,
    WorkItem,
)
from firstline.orgs.models import RoleAssignment
from firstline.scenario.health import DAYS
from firstline.scenario.tests.shared_world import module_world
from firstline.scenario.world import ScaleOverride

# The figures of a HealthDailyCount row.
COUNTS = [
    f.name for f in HealthDailyCount._meta.concrete_fields if isinstance(f, PositiveIntegerField)
]
TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


world = module_world(TINY)  # one world for the module's tests


def check_the_health_step_runs_after_access_and_reports_its_rows(world):
    names = [s.name for s in world.steps]
    step = world.steps[names.index("health")]
    assert names[names.index("access") + 1] == "health"
    assert step.rows["declarations"] == Declaration.all_tenants.count()
    assert step.rows["isolation_checks"] == IsolationCheck.all_tenants.count()


def check_two_risk_lists_each_with_its_history(world):
    lists = list(RiskList.objects.order_by("name", "version").values("name", "version", "current"))
    assert [(r["version"], r["current"]) for r in lists] == [(1, False), (2, True)] * 2
    for name in {r["name"] for r in lists}:
        v1, v2 = (
            set(
                RiskArea.objects.filter(risk_list__name=name, risk_list__version=v).values_list(
                    "division_code", "name", "level"
                )
            )
            for v in (1, 2)
        )
        assert v1 < v2  # the new version adds areas
    areas = RiskArea.objects.filter(current=True)
    assert areas.filter(division_code__startswith="4201").exists()
    assert areas.filter(division_code="", name="华南海鲜市场", level="high").exists()
    assert set(areas.values_list("level", flat=True)) == {"high", "medium", "low"}
    assert not RiskArea.objects.filter(current=True, risk_list__current=False).exists()
    for risk_list in RiskList.objects.annotate(n=Count("areas")):
        assert risk_list.area_count == risk_list.n


def check_most_residents_declared_with_consent_some_more_than_once(world):
    residents = Resident.all_tenants.count()
    current = Declaration.all_tenants.filter(current=True)
    assert 0.8 * residents <= current.count() < residents
    assert Declaration.all_tenants.filter(current=False).exists()
    # Every declaration rests on its resident's consent, and is the resident's own.
    assert not Declaration.all_tenants.exclude(consent__resident_id=F("resident_id")).exists()
    assert Consent.all_tenants.count() == current.count()
    assert not Declaration.all_tenants.exclude(household_id=F("resident__household_id")).exists()
    # A superseded one is older than the current one of the same resident.
    latest = dict(current.values_list("resident_id", "submitted_at"))
    for rid, at in Declaration.all_tenants.filter(current=False).values_list(
        "resident_id", "submitted_at"
    ):
        assert at < latest[rid]
    assert not Declaration.all_tenants.filter(has_symptoms=True, symptoms=[]).exists()
    assert (
        DeclarationPlace.all_tenants.exclude(company_id=F("declaration__company_id")).count() == 0
    )


def check_a_realistic_share_of_reds_and_yellows(world):
    counts = Counter(Declaration.all_tenants.filter(current=True).values_list("status", flat=True))
    total = sum(counts.values())
    assert counts[Status.RED] >= 2
    assert counts[Status.YELLOW] >= 2
    assert counts[Status.RED] / total < 0.1
    assert counts[Status.YELLOW] / total < 0.2
    assert counts[Status.GREEN] / total > 0.7


def check_every_current_red_and_yellow_has_one_open_work_item(world):
    flagged = set(
        Declaration.all_tenants.filter(
            current=True, status__in=[Status.RED, Status.YELLOW]
        ).values_list("resident_id", flat=True)
    )
    open_items = list(
        WorkItem.all_tenants.exclude(state=WorkItem.State.CLOSED).values_list(
            "resident_id", flat=True
        )
    )
    assert len(open_items) == len(set(open_items))
    assert flagged <= set(open_items)
    states = set(WorkItem.all_tenants.values_list("state", flat=True))
    assert {WorkItem.State.FOLLOWING, WorkItem.State.CLOSED} <= states
    assert FollowUpCall.all_tenants.exclude(site_id=F("work_item__site_id")).count() == 0
    assert FollowUpCall.all_tenants.exists()
    assert not WorkItem.all_tenants.filter(state=WorkItem.State.CLOSED, closed_at=None).exists()


def check_isolation_cases_with_their_checks_and_alerts(world):
    today = timezone.localdate()
    cases = IsolationCase.all_tenants.all()
    states = Counter(cases.values_list("state", flat=True))
    assert states[IsolationCase.State.ACTIVE] >= 1
    assert states[IsolationCase.State.RELEASED] >= 1
    assert IsolationFacility.all_tenants.count() >= 3  # one or two per company
    for case in cases.filter(kind=IsolationCase.Kind.CENTRAL).select_related("facility"):
        assert case.facility.company_id == case.company_id
    for facility in IsolationFacility.all_tenants.annotate(
        n=Count("cases", filter=~Q(cases__state="released"))
    ):
        assert facility.n <= facility.capacity
    # Every open case has checks, unless it opened today; a released one ends released.
    for case in cases.exclude(state=IsolationCase.State.RELEASED).annotate(n=Count("checks")):
        assert case.n >= 1 or case.start_date >= today - timedelta(days=1), case.pk
        assert case.start_date <= today < case.planned_end
    for case in cases.filter(state=IsolationCase.State.RELEASED):
        assert case.released_at and case.release_note
    # Escalated cases had a fever, and raised an alert for it.
    for case in cases.filter(state=IsolationCase.State.ESCALATED):
        assert IsolationCheck.all_tenants.filter(case=case, temperature__gte="37.3").exists()
        assert HealthAlert.all_tenants.filter(case=case, kind=HealthAlert.Kind.FEVER).exists()
    assert HealthAlert.all_tenants.filter(kind=HealthAlert.Kind.MISSED_CHECK).exists()
    # A missed check has no check in its slot.
    for case_id, key in HealthAlert.all_tenants.filter(
        kind=HealthAlert.Kind.MISSED_CHECK
    ).values_list("case_id", "key"):
        _, day, slot = key.split(":")
        assert not IsolationCheck.all_tenants.filter(case_id=case_id, day=day, slot=slot).exists()
    # Two checks a day at most, never in the future.
    assert not IsolationCheck.all_tenants.filter(day__gt=today).exists()
    assert not IsolationCheck.all_tenants.filter(taken_at__gt=timezone.now()).exists()


def check_active_cases_are_current_reds_and_never_went_out(world):
    """What the gate will refuse once access/selectors/status.py reads health data."""
    from firstline.access.models import AccessEvent

    isolated = set(
        IsolationCase.all_tenants.exclude(state=IsolationCase.State.RELEASED).values_list(
            "resident_id", flat=True
        )
    )
    reds = set(
        Declaration.all_tenants.filter(current=True, status=Status.RED).values_list(
            "resident_id", flat=True
        )
    )
    assert isolated and isolated <= reds
    went_out = set(
        AccessEvent.all_tenants.filter(direction="out", decision="admit").values_list(
            "resident_id", flat=True
        )
    )
    assert not isolated & went_out


def check_support_requests_in_every_state_with_their_times(world):
    requests = SupportRequest.all_tenants.all()
    assert set(requests.values_list("state", flat=True)) == set(SupportRequest.State.values)
    assert requests.filter(urgency=SupportRequest.Urgency.URGENT).exists()
    for r in requests.filter(state=SupportRequest.State.DONE):
        assert r.requested_at <= r.assigned_at <= r.done_at <= timezone.now()
        assert r.proof_note
    assert not requests.filter(state=SupportRequest.State.OPEN, assigned_to__isnull=False).exists()
    assert not requests.exclude(household__site_id=F("site_id")).exists()
    urgent_open = requests.filter(urgency="urgent", state__in=["open", "assigned"]).values_list(
        "pk", flat=True
    )
    keys = set(
        HealthAlert.all_tenants.filter(kind=HealthAlert.Kind.URGENT_SUPPORT).values_list(
            "key", flat=True
        )
    )
    assert {f"support:{pk}" for pk in urgent_open} == keys


def check_vulnerable_residents_get_check_calls_some_due(world):
    calls = VulnerableCheck.all_tenants.all()
    assert calls.exists()
    assert not calls.exclude(
        Q(resident__lives_alone_elderly=True)
        | Q(resident__disabled=True)
        | Q(resident__chronic_illness=True)
        | Q(resident__pregnant=True)
    ).exists()
    week = timezone.now() - timedelta(days=7)
    recent = set(calls.filter(called_at__gte=week).values_list("resident_id", flat=True))
    called = set(calls.values_list("resident_id", flat=True))
    assert recent and called - recent  # some called this week, some due a call


def check_daily_counts_equal_counts_over_the_rows(world):
    today = timezone.localdate()
    local = timezone.localdate
    expected = defaultdict(Counter)
    for site, at, status in Declaration.all_tenants.values_list(
        "site_id", "submitted_at", "status"
    ):
        expected[site, local(at)]["declarations"] += 1
        expected[site, local(at)][status] += 1
    for site, start, released in IsolationCase.all_tenants.values_list(
        "site_id", "start_date", "released_at"
    ):
        expected[site, start]["isolation_new"] += 1
        if released:
            expected[site, local(released)]["isolation_released"] += 1
        for n in range(DAYS):
            day = today - timedelta(days=n)
            if start <= day and (released is None or day < local(released)):
                expected[site, day]["isolation_active"] += 1
    for site, day in IsolationCheck.all_tenants.values_list("site_id", "day"):
        expected[site, day]["checks"] += 1
    for site, due in HealthAlert.all_tenants.filter(kind="missed_check").values_list(
        "site_id", "due_at"
    ):
        expected[site, local(due)]["missed_checks"] += 1
    for site, asked, done in SupportRequest.all_tenants.values_list(
        "site_id", "requested_at", "done_at"
    ):
        expected[site, local(asked)]["support_requested"] += 1
        if done:
            expected[site, local(done)]["support_done"] += 1

    rows = HealthDailyCount.all_tenants.all()
    first = today - timedelta(days=DAYS - 1)
    assert rows.filter(day__lt=first).count() == 0
    # Every (site, day) with something to count has its row, and each row is right.
    stored = {(row.site_id, row.day): row for row in rows}
    for (site, day), figures in expected.items():
        if first <= day <= today and any(figures.values()):
            assert (site, day) in stored, (site, day)
    for key, row in stored.items():
        assert {name: getattr(row, name) for name in COUNTS} == {
            name: expected[key][name] for name in COUNTS
        }, key
    assert sum(rows.values_list("red", flat=True)) > 0
    assert sum(rows.values_list("checks", flat=True)) == IsolationCheck.all_tenants.count()


def check_demo_logins_have_something_to_see(world):
    resident = RoleAssignment.objects.get(user__username="resident_1")
    household = resident.household_id
    declared = Declaration.all_tenants.filter(household_id=household, current=True)
    members = Resident.all_tenants.filter(household_id=household).count()
    assert declared.count() == members
    case = IsolationCase.all_tenants.get(household_id=household)
    assert case.state == IsolationCase.State.ACTIVE
    assert case.kind == IsolationCase.Kind.HOME
    today = timezone.localdate()
    assert IsolationCheck.all_tenants.filter(case=case, day__lt=today).exists()
    # Today's evening check is still to do, until its slot closes at 20:00.
    evening_open = timezone.localtime().time() < time(20)
    assert (
        IsolationCheck.all_tenants.filter(case=case, day=today, slot="pm").exists()
        is not evening_open
    )
    assert declared.get(resident_id=case.resident_id).status == Status.RED

    health = RoleAssignment.objects.get(user__username="health_1")
    worklist = WorkItem.all_tenants.filter(site_id=health.site_id).exclude(state="closed")
    assert worklist.filter(level=Status.RED).exists()
    assert FollowUpCall.all_tenants.filter(site_id=health.site_id, caller=health.user).exists()
    support = SupportRequest.all_tenants.filter(site_id=health.site_id)
    assert set(support.values_list("state", flat=True)) == set(SupportRequest.State.values)


def check_the_missed_check_job_finds_nothing_new(world):
    """The demo's missed checks carry the keys the periodic job uses: run now, it
    raises nothing (no slot was left without a check or an alert)."""
    from firstline.health.services.isolation import missed_checks_raise

    before = HealthAlert.all_tenants.count()
    missed_checks_raise(timezone.now())
    assert HealthAlert.all_tenants.count() == before


def check_rescreening_changes_nothing(world):
    """Statuses, worklist and alerts already agree with the screening rules."""
    from firstline.health.services.screening import rescreen

    result = rescreen(as_of=timezone.localdate())
    assert (result["changed"], result["work_items_opened"], result["alerts"]) == (0, 0, 0)


# One world per test costs seconds: each test checks a group of things on it.


def test_risk_lists_declarations_and_worklist(world):
    check_the_health_step_runs_after_access_and_reports_its_rows(world)
    check_two_risk_lists_each_with_its_history(world)
    check_most_residents_declared_with_consent_some_more_than_once(world)
    check_a_realistic_share_of_reds_and_yellows(world)
    check_every_current_red_and_yellow_has_one_open_work_item(world)
    check_rescreening_changes_nothing(world)


def test_isolation_support_and_vulnerable_residents(world):
    check_isolation_cases_with_their_checks_and_alerts(world)
    check_active_cases_are_current_reds_and_never_went_out(world)
    check_the_missed_check_job_finds_nothing_new(world)
    check_support_requests_in_every_state_with_their_times(world)
    check_vulnerable_residents_get_check_calls_some_due(world)


def test_daily_counts_and_what_the_demo_logins_see(world):
    check_daily_counts_equal_counts_over_the_rows(world)
    check_demo_logins_have_something_to_see(world)
