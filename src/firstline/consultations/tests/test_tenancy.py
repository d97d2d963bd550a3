"""The consultation pages and endpoints through the shared tenancy checks: another
company's consultation (its thread, its files, replying, closing) is 404 to a
company's admin and to the expert assigned to the first company's consultation.
The desk's pages (association-level), sessions (the association's, shared by its
members) and asking are checked by the tests named in `explicit`."""

from __future__ import annotations

import pytest

from firstline.consultations.tests.furnish import furnish
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World

COMPANY = "consultations are a company's questions, not a site's"
ACCESS = "firstline.consultations.tests.test_access::"
API = "/api/v1/consultations"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def consultation(t):
    return t.consultation


def attachment(t):
    return t.attachment


class TestConsultationsTenancy(TenancyCases):
    routes = [
        Page("consultations:list", company_level=COMPANY),
        Page("consultations:ask", company_level=COMPANY),
        Page("consultations:suggest", company_level=COMPANY),
        Page("consultations:detail", obj=consultation, company_level=COMPANY),
        Page("consultations:detail", obj=consultation, viewer="expert", company_level=COMPANY),
        Page(
            "consultations:reply",
            obj=consultation,
            write={"body": "追问：需要什么材料？"},
            company_level=COMPANY,
        ),
        Page(
            "consultations:reply",
            obj=consultation,
            viewer="expert",
            write={"body": "答复：需要书面协议。"},
            company_level=COMPANY,
        ),
        Page(
            "consultations:close",
            obj=consultation,
            write={"rating": "5", "comment": "好", "confirmed": "1"},
            company_level=COMPANY,
        ),
        Page("consultations:attachment", obj=attachment, company_level=COMPANY),
        Page("consultations:attachment", obj=attachment, viewer="expert", company_level=COMPANY),
    ]
    api = [
        Api(f"{API}/consultations", company_level=COMPANY),
        Api(f"{API}/consultations/{{id}}", obj=consultation, company_level=COMPANY),
        Api(
            f"{API}/consultations/{{id}}",
            obj=consultation,
            viewer="expert",
            company_level=COMPANY,
        ),
        Api(
            f"{API}/consultations/{{id}}/messages",
            obj=consultation,
            method="post",
            body={"body": "追问：需要什么材料？"},
            company_level=COMPANY,
        ),
        Api(
            f"{API}/consultations/{{id}}/messages",
            obj=consultation,
            viewer="expert",
            method="post",
            body={"body": "答复：需要书面协议。"},
            company_level=COMPANY,
        ),
        Api(
            f"{API}/consultations/{{id}}/resolve",
            obj=consultation,
            viewer="expert",
            method="post",
            company_level=COMPANY,
        ),
        Api(
            f"{API}/consultations/{{id}}/close",
            obj=consultation,
            method="post",
            body={"rating": 4, "comment": "及时"},
            company_level=COMPANY,
        ),
        Api(
            f"{API}/categories",
            shared="the association's categories and service levels (no company's rows)",
        ),
        Api(
            f"{API}/sessions",
            shared="the association's sessions, open to every member (no company's rows)",
        ),
    ]
    explicit = {
        "POST /api/v1/consultations/consultations": ACCESS + "test_ask_only_for_own_company",
        "POST /api/v1/consultations/consultations/{pk}/assign": ACCESS
        + "test_the_desk_assigns_and_nobody_else",
        "consultations:assign": ACCESS + "test_the_desk_assigns_and_nobody_else",
        "consultations:resolve": ACCESS + "test_resolve_by_expert_or_desk_only",
        "consultations:expert_list": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:expert_create": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:expert_detail": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:expert_edit": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:conflict_create": ACCESS + "test_conflict_keeps_an_expert_off",
        "consultations:category_list": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:category_edit": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:faq_list": ACCESS + "test_desk_pages_are_the_desk_s",
        "consultations:faq_create": ACCESS + "test_faq_from_a_resolved_consultation",
        "consultations:faq_edit": ACCESS + "test_faq_from_a_resolved_consultation",
        "consultations:faq_publish": ACCESS + "test_faq_from_a_resolved_consultation",
        "consultations:figures": ACCESS + "test_figures_and_export_are_the_desk_s",
        "GET /api/v1/consultations/figures": ACCESS + "test_figures_and_export_are_the_desk_s",
        "consultations:session_list": ACCESS + "test_sessions_register_and_attendance",
        "consultations:session_create": ACCESS + "test_sessions_register_and_attendance",
        "consultations:session_detail": ACCESS + "test_sessions_register_and_attendance",
        "consultations:session_register": ACCESS + "test_sessions_register_and_attendance",
        "consultations:session_attendance": ACCESS + "test_sessions_register_and_attendance",
        "POST /api/v1/consultations/sessions/{pk}/register": ACCESS
        + "test_sessions_register_and_attendance",
    }
