"""The FAQ and the policy library link both ways, and the links belong to the FAQ
page's revisions: a draft, a republish, a revert keep (or restore) them."""

from __future__ import annotations

import datetime

import pytest

from firstline.publishing.models import FaqItem, FaqPage, PolicyIndexPage, PolicyPage
from firstline.publishing.services.site import site_ensure

pytestmark = pytest.mark.django_db


def publish(page):
    page.save_revision().publish()
    return page.specific_class.objects.get(pk=page.pk)


@pytest.fixture
def policies():
    site_ensure()
    index = PolicyIndexPage.objects.get()
    made = []
    for n, title in enumerate(["关于有序推进复工复产的通知", "物业服务企业稳岗补贴办法"]):
        made.append(
            publish(
                index.add_child(
                    instance=PolicyPage(
                        title=title,
                        slug=f"p{n}",
                        category="notice",
                        issuer="市防控指挥部",
                        issued_on=datetime.date(2020, 3, 20 + n),
                        body="<p>正文</p>",
                    )
                )
            )
        )
    return made


def answers_on(client, policy) -> str:
    response = client.get(policy.url)
    assert response.status_code == 200
    return response.content.decode()


def test_links_survive_republishing_and_show_both_ways(client, policies):
    notice, subsidy = policies
    faq = FaqPage.objects.get()
    faq.items = [
        FaqItem(question="复工前要做哪些准备？", answer="<p>先报备。</p>", policies=[notice]),
        FaqItem(
            question="稳岗补贴怎么申请？", answer="<p>网上申报。</p>", policies=[subsidy, notice]
        ),
    ]
    faq = publish(faq)
    assert {p.pk for p in FaqItem.objects.get(question__startswith="复工").policies.all()} == {
        notice.pk
    }

    # republish the live revision as it is, then a new revision with a change
    faq.get_latest_revision().publish()
    faq = FaqPage.objects.get(pk=faq.pk)
    faq.title = "常见问题（第二版）"
    faq = publish(faq)

    items = {item.question: item for item in FaqItem.objects.filter(page=faq)}
    assert {p.pk for p in items["复工前要做哪些准备？"].policies.all()} == {notice.pk}
    assert {p.pk for p in items["稳岗补贴怎么申请？"].policies.all()} == {notice.pk, subsidy.pk}
    assert {i.question for i in notice.faq_items.all()} == set(items)

    html = answers_on(client, notice)
    assert "复工前要做哪些准备？" in html and "稳岗补贴怎么申请？" in html
    assert "稳岗补贴怎么申请？" in answers_on(client, subsidy)
    assert "关于有序推进复工复产的通知" in client.get(faq.url).content.decode()


def test_a_draft_keeps_the_live_links_until_it_is_published(policies):
    notice, subsidy = policies
    faq = FaqPage.objects.get()
    faq.items = [
        FaqItem(question="复工前要做哪些准备？", answer="<p>先报备。</p>", policies=[notice])
    ]
    faq = publish(faq)
    first = faq.live_revision

    draft = faq.get_latest_revision_as_object()
    items = list(draft.items.all())
    items[0].policies = [subsidy]
    draft.items = items
    draft.save_revision()  # a draft: the live page keeps its link
    assert [p.pk for p in FaqItem.objects.get().policies.all()] == [notice.pk]
    assert draft.get_latest_revision_as_object().items.first().policies.all()[0].pk == subsidy.pk

    draft.get_latest_revision().publish()
    assert [p.pk for p in FaqItem.objects.get().policies.all()] == [subsidy.pk]

    first.publish()  # back to the first revision: its link comes back
    assert [p.pk for p in FaqItem.objects.get().policies.all()] == [notice.pk]
    assert [i.question for i in notice.faq_items.all()] == ["复工前要做哪些准备？"]


def test_the_migration_gives_old_revisions_the_live_links(policies):
    """Revisions saved before FAQ items were clusters hold no links; migration 0006
    writes each item's live links into them, so republishing one keeps the links."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module(
        "firstline.publishing.migrations.0006_faq_links_in_revisions"
    )
    notice, _subsidy = policies
    faq = FaqPage.objects.get()
    faq.items = [
        FaqItem(question="复工前要做哪些准备？", answer="<p>先报备。</p>", policies=[notice])
    ]
    faq = publish(faq)
    old = faq.live_revision
    for item in old.content["items"]:  # as a revision saved before the change looks
        del item["policies"]
    old.save(update_fields=["content"])

    migration._links_into_revisions(apps, connection.schema_editor())

    old.refresh_from_db()
    assert [item["policies"] for item in old.content["items"]] == [[notice.pk]]
    old.publish()
    assert [p.pk for p in FaqItem.objects.get().policies.all()] == [notice.pk]
