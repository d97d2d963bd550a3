"""An authority's reads of daily reports are logged (DESIGN.md); a company's own reads
are not. Per site report reads land in each company's access log; a division
roll-up (sums only) in the audit trail."""

from __future__ import annotations

from django.urls import reverse

from firstline.core.models import AccessLog, AuditEvent
from firstline.reports.tests.test_rollup import DAY, add_report
from firstline.testing.world import World


def logs(company):
    return AccessLog.all_tenants.filter(company=company, field="daily_report")


def test_an_authority_reading_a_report_is_logged_in_the_companys_log(client, world: World):
    report = add_report(world.a.site)
    client.force_login(world.users["authority_viewer"])

    assert client.get(reverse("reports:daily_detail", args=[report.pk])).status_code == 200

    [row] = logs(world.a.company)
    assert row.actor == world.users["authority_viewer"]
    assert row.object_id == str(report.pk) and row.site_id == world.a.site.pk
    assert not logs(world.b.company).exists()


def test_the_report_list_logs_one_row_per_company_shown(client, world: World):
    mine = add_report(world.a.site)
    add_report(world.b.site)  # another district: not shown, not logged
    client.force_login(world.users["authority_viewer"])

    response = client.get(reverse("reports:daily_list"), {"day": DAY.isoformat()})

    assert response.status_code == 200
    assert [r.object_id for r in logs(world.a.company)] == [str(mine.pk)]
    assert not logs(world.b.company).exists()


def test_a_division_rollup_read_is_audited(client, world: World):
    add_report(world.a.site)
    client.force_login(world.users["authority_viewer"])

    response = client.get(reverse("reports:rollup"), {"day": DAY.isoformat(), "division": "420103"})

    assert response.status_code == 200
    event = AuditEvent.objects.get(object_type="reports.rollup")
    assert event.object_id == "420103" and event.changes == {"day": DAY.isoformat()}
    assert event.actor == world.users["authority_viewer"]


def test_the_companys_own_reads_are_not_logged(client, world: World):
    report = add_report(world.a.site)
    client.force_login(world.a.users["site_manager"])

    client.get(reverse("reports:daily_detail", args=[report.pk]))
    client.get(reverse("reports:daily_list"), {"day": DAY.isoformat()})
    client.get(reverse("reports:rollup"), {"day": DAY.isoformat()})

    assert not logs(world.a.company).exists()
    assert not AuditEvent.objects.filter(object_type="reports.rollup").exists()
