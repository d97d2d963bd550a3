"""Set-based re-screening agrees with rules.screen on every declaration (hypothesis),
and opens, raises and alerts on the worklist without duplicates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstline.estates.models import Resident
from firstline.health.models import (
    Consent,
    Declaration,
    DeclarationPlace,
    HealthAlert,
    RiskArea,
    RiskList,
    ScreeningConfig,
    WorkItem,
)
from firstline.health.services import rules
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_submit,
)
from firstline.health.services.screening import rescreen

AS_OF = date(2020, 2, 3)
NOW = timezone.make_aware(datetime(2020, 2, 3, 9, 0))

AREA_CODES = ["", "42", "4201", "420103", "420103001", "420106"]
PLACE_CODES = ["", "4201", "420103", "420103001", "420103001001", "420106001"]
# Days before the screening date: around the 7-, 14- and 21-day windows' edges.
DAYS = [-1, 0, 1, 6, 7, 8, 13, 14, 15, 20, 21, 22]
NAMES = ["武汉市江汉区", "华南海鲜市场", "Market", "market", "50%", "a_b", "江汉"]
STATUSES = ["green", "yellow", "red"]
LEVELS = ["high", "medium", "low"]
TEMPERATURES = [
    None,
    Decimal("36.5"),
    Decimal("37.2"),
    Decimal("37.3"),
    Decimal("37.5"),
    Decimal("39.0"),
]

area_st = st.builds(
    lambda code, name, level, start, length: rules.Area(
        division_code=code,
        name=name,
        level=level,
        valid_from=AS_OF - timedelta(days=start),
        valid_until=None if length is None else AS_OF - timedelta(days=start - length),
    ),
    st.sampled_from(AREA_CODES),
    st.sampled_from(NAMES),
    st.sampled_from(LEVELS),
    st.sampled_from(DAYS),
    st.none() | st.sampled_from([0, 1, 6, 7, 8, 13, 14]),
)
place_st = st.builds(
    lambda code, parts, days: PlaceInput(
        place_name="".join(parts) or "某地",
        visited_on=AS_OF - timedelta(days=days),
        division_code=code,
    ),
    st.sampled_from(PLACE_CODES),
    st.lists(st.sampled_from([*NAMES, "路", "MARKET", "50", "ab"]), max_size=3),
    st.sampled_from(DAYS),
)
declaration_st = st.builds(
    DeclarationInput,
    contact_confirmed=st.booleans(),
    contact_suspected=st.booleans(),
    symptoms=st.sampled_from([(), ("cough",)]),
    temperature=st.sampled_from(TEMPERATURES),
    places=st.lists(place_st, max_size=3).map(tuple),
)
config_st = st.none() | st.builds(
    rules.Config,
    window_days=st.sampled_from([7, 14, 21]),
    fever_threshold=st.sampled_from([Decimal("37.3"), Decimal("37.5")]),
    high_level=st.sampled_from(STATUSES),
    medium_level=st.sampled_from(STATUSES),
    low_level=st.sampled_from(STATUSES),
    confirmed_contact=st.sampled_from(STATUSES),
    suspected_contact=st.sampled_from(STATUSES),
    symptoms=st.sampled_from(STATUSES),
    fever=st.sampled_from(STATUSES),
)


def _reset() -> None:
    for model in (WorkItem, HealthAlert, DeclarationPlace, Declaration, ScreeningConfig):
        model.all_tenants.all().delete()
    RiskArea.objects.all().delete()
    RiskList.objects.all().delete()


def _store_areas(areas, *, current=True, version=1) -> None:
    lst = RiskList.objects.create(
        name="名单", version=version, published_at=NOW, current=current, area_count=len(areas)
    )
    RiskArea.objects.bulk_create(
        RiskArea(
            risk_list=lst,
            current=current,
            division_code=a.division_code,
            name=a.name,
            level=a.level,
            valid_from=a.valid_from,
            valid_until=a.valid_until,
        )
        for a in areas
    )


def _store_declaration(resident: Resident, consent: Consent, data: DeclarationInput, status: str):
    d = Declaration.all_tenants.create(
        company_id=resident.company_id,
        site_id=resident.site_id,
        resident=resident,
        household_id=resident.household_id,
        channel="staff",
        consent=consent,
        submitted_at=NOW,
        contact_confirmed=data.contact_confirmed,
        contact_suspected=data.contact_suspected,
        symptoms=list(data.symptoms),
        has_symptoms=bool(data.symptoms),
        temperature=data.temperature,
        status=status,
    )
    DeclarationPlace.all_tenants.bulk_create(
        DeclarationPlace(
            company_id=resident.company_id,
            declaration=d,
            division_code=p.division_code,
            place_name=p.place_name,
            visited_on=p.visited_on,
        )
        for p in data.places
    )
    return d


@pytest.fixture
def people(world):
    """Eight residents, four per company, with a consent each."""
    residents = [*world.a.residents, *world.b.residents]
    for tenant in (world.a, world.b):
        residents += [
            Resident.all_tenants.create(
                company=tenant.company,
                site=tenant.site,
                household=tenant.household,
                name=f"{tenant.company.pk}居民{n}",
            )
            for n in range(2)
        ]
    residents.sort(key=lambda r: r.company_id)
    return [(r, consent_record(resident=r, channel="staff", now=NOW)) for r in residents]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    areas=st.lists(area_st, max_size=8),
    old_areas=st.lists(area_st, max_size=2),
    declarations=st.lists(
        st.tuples(declaration_st, st.sampled_from(STATUSES)), min_size=8, max_size=8
    ),
    config_a=config_st,
    config_b=config_st,
    as_of_shift=st.sampled_from([0, 0, 0, 1, -1]),
)
def test_rescreen_matches_the_rules_for_every_declaration(
    people, areas, old_areas, declarations, config_a, config_b, as_of_shift
):
    _reset()
    _store_areas(areas)
    _store_areas(old_areas, current=False, version=0)  # superseded: must not count
    configs = {}
    for (resident, _c), config in zip(people[::4], (config_a, config_b), strict=True):
        if config is not None:
            ScreeningConfig.all_tenants.create(
                company_id=resident.company_id,
                **{f: getattr(config, f) for f in rules.Config.FIELDS},
            )
        configs[resident.company_id] = config or rules.DEFAULT_CONFIG
    stored = [
        (_store_declaration(r, c, data, status), data)
        for (r, c), (data, status) in zip(people, declarations, strict=True)
    ]
    as_of = AS_OF + timedelta(days=as_of_shift)

    counts = rescreen(as_of=as_of)

    for declaration, data in stored:
        declaration.refresh_from_db()
        expected = rules.screen(
            declaration=data,
            places=data.places,
            areas=areas,
            config=configs[declaration.company_id],
            as_of=as_of,
        )
        assert declaration.status == expected.status, (data, expected.reasons)
    assert counts["screened"] == 8
    # Every yellow or red resident has exactly one open item, at its level.
    for declaration, _data in stored:
        items = list(WorkItem.all_tenants.filter(resident_id=declaration.resident_id))
        if declaration.status == "green":
            assert items == []
        else:
            assert [i.level for i in items] == [declaration.status]


def test_rescreen_after_a_list_change_opens_raises_and_alerts_once(world, people):
    (r1, c1), (r2, c2), (r3, c3) = people[0], people[1], people[4]
    _store_areas([rules.Area("华南海鲜市场", "medium", date(2020, 1, 1))])
    to_market = DeclarationInput(places=(PlaceInput("华南海鲜市场", AS_OF - timedelta(days=2)),))
    to_jianghan = DeclarationInput(
        places=(PlaceInput("江汉路", AS_OF - timedelta(days=3), "420103002"),)
    )
    d1 = declaration_submit(resident=r1, data=to_market, channel="staff", consent=c1, now=NOW)
    d2 = declaration_submit(resident=r2, data=to_jianghan, channel="staff", consent=c2, now=NOW)
    d3 = declaration_submit(resident=r3, data=to_jianghan, channel="staff", consent=c3, now=NOW)
    assert [d.status for d in (d1, d2, d3)] == ["yellow", "green", "green"]

    # A new version of the list: the market is high now, 江汉区 is added.
    RiskArea.objects.update(current=False)
    RiskList.objects.update(current=False)
    _store_areas(
        [
            rules.Area("华南海鲜市场", "high", date(2020, 1, 1)),
            rules.Area("武汉市江汉区", "high", date(2020, 1, 1), None, "420103"),
        ],
        version=2,
    )
    steps = []
    counts = rescreen(as_of=AS_OF, progress=lambda done, total: steps.append((done, total)))
    assert counts["changed"] == 3 and counts["red"] == 3 and counts["screened"] == 3
    assert counts["work_items_opened"] == 2 and counts["work_items_raised"] == 1
    assert counts["alerts"] == 3
    assert steps[-1][0] == steps[-1][1]
    item = WorkItem.all_tenants.get(resident=r1)
    assert (item.level, item.declaration_id) == ("red", d1.pk)
    alert = HealthAlert.all_tenants.get(resident=r2)
    assert alert.message == f"{r2.name} 行程申报筛查为红码，请尽快跟进"
    assert alert.key == f"declaration:{d2.pk}" and alert.site_id == r2.site_id

    again = rescreen(as_of=AS_OF)  # nothing changes, nothing is added
    assert again["changed"] == 0 and again["work_items_opened"] == 0 and again["alerts"] == 0
    assert WorkItem.all_tenants.count() == 3 and HealthAlert.all_tenants.count() == 3

    later = rescreen(as_of=AS_OF + timedelta(days=12))  # the visits age out of the window
    assert later["changed"] == 3 and later["green"] == 3
    assert WorkItem.all_tenants.filter(state="open").count() == 3  # follow-ups stay open


def test_rescreen_one_company_leaves_the_other(world, people):
    (r1, c1), (r3, c3) = people[0], people[4]
    _store_areas([rules.Area("华南海鲜市场", "high", date(2020, 1, 1))])
    market = DeclarationInput(places=(PlaceInput("华南海鲜市场", AS_OF),))
    d1 = _store_declaration(r1, c1, market, "green")
    d3 = _store_declaration(r3, c3, market, "green")
    counts = rescreen(as_of=AS_OF, company_id=r1.company_id)
    d1.refresh_from_db()
    d3.refresh_from_db()
    assert (d1.status, d3.status) == ("red", "green")
    assert counts["screened"] == 1


def test_rescreen_task_reports_progress_and_counts(
    world, people, django_capture_on_commit_callbacks
):
    from firstline.core.models import TaskProgress
    from firstline.health.tasks import rescreen_enqueue

    (r1, c1) = people[0]
    _store_areas([rules.Area("华南海鲜市场", "high", date(2020, 1, 1))])
    _store_declaration(r1, c1, DeclarationInput(contact_confirmed=True), "green")
    with django_capture_on_commit_callbacks(execute=True):
        progress = rescreen_enqueue(actor=world.a.users["company_admin"], reason="名单 v2")
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.SUCCEEDED, progress.message
    assert progress.result["red"] == 1 and progress.result["changed"] == 1
    assert progress.percent == 100 and "红码 1" in progress.message
