"""Vulnerable residents: the list with last call and due flag in one query, and the
check call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.core.scope import Grant, Scope
from firstline.estates.models import Resident
from firstline.health.services import vulnerable
from firstline.testing.world import make_id_number, make_resident


def scope_of(tenant):
    return Scope(1, (Grant("company_admin", "company", tenant.company.pk, tenant.company.pk),))


def test_list_has_only_flagged_residents_with_due_flag(world, django_assert_num_queries):
    pregnant = make_resident(
        household=world.a.household,
        name="王芳",
        phone="13700001111",
        id_number=make_id_number(77),
        pregnant=True,
    )
    now = timezone.now()
    vulnerable.check_record(
        actor=None, resident=pregnant, outcome="well", now=now - timedelta(days=1)
    )
    vulnerable.check_record(
        actor=None, resident=world.a.residents[1], outcome="no_answer", now=now - timedelta(days=8)
    )
    with django_assert_num_queries(1):
        rows = list(
            vulnerable.vulnerable_list(Resident.objects.for_scope(scope_of(world.a)), now=now)
        )
    by_name = {r.name: r for r in rows}
    assert set(by_name) == {"王芳", "a李娜", "a2李娜"}  # a2: at the company's second site
    assert by_name["a李娜"].due and by_name["a李娜"].last_outcome == "no_answer"
    assert by_name["a2李娜"].due and by_name["a2李娜"].last_outcome is None  # never called
    assert not by_name["王芳"].due and by_name["王芳"].last_outcome == "well"
    assert rows[-1].name == "王芳"  # due first


def test_check_record_validates(world):
    with pytest.raises(ValidationError) as exc:
        vulnerable.check_record(actor=None, resident=world.a.residents[1], outcome="maybe")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        vulnerable.check_record(actor=None, resident=world.a.residents[1], outcome="needs_help")
    assert "notes" in exc.value.message_dict
    with pytest.raises(ValidationError):
        vulnerable.check_record(actor=None, resident=world.a.residents[0], outcome="well")
    check = vulnerable.check_record(
        actor=None, resident=world.a.residents[1], outcome="needs_help", notes="缺药"
    )
    assert check.site_id == world.a.site.pk and check.company_id == world.a.company.pk
