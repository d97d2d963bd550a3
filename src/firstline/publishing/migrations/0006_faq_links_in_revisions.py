"""FAQ items became clusters of their own (models.FaqItem), so their links to
policies are stored in the FAQ page's revisions from now on. Revisions saved before
hold no links: publishing one of them again would drop every link. Each item of
those revisions gets the links the item has today (its live links; an item saved
without its id, as in a revision made before the first publish, is matched by its
question), so nothing already linked is lost; an item no longer there gets none."""

from django.db import migrations


def _links_into_revisions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    Link = apps.get_model("publishing", "FaqItem").policies.through
    content_type = ContentType.objects.filter(app_label="publishing", model="faqpage").first()
    if content_type is None:
        return
    FaqItem = apps.get_model("publishing", "FaqItem")
    links: dict[int, list[int]] = {}
    for item_id, policy_id in Link.objects.order_by("pk").values_list(
        "faqitem_id", "policypage_id"
    ):
        links.setdefault(item_id, []).append(policy_id)
    # An item is known by its id; a revision saved before its first publish holds
    # items without one, known then by their page and question.
    by_question = {
        (page_id, question): pk
        for pk, page_id, question in FaqItem.objects.values_list("pk", "page_id", "question")
    }
    for revision in Revision.objects.filter(content_type=content_type).iterator():
        content = revision.content or {}
        changed = False
        for item in content.get("items") or []:
            if isinstance(item, dict) and "policies" not in item:
                pk = item.get("pk")
                if pk not in links:
                    pk = by_question.get((int(revision.object_id), item.get("question")))
                item["policies"] = links.get(pk, [])
                changed = True
        if changed:
            revision.content = content
            revision.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0005_generation"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(_links_into_revisions, migrations.RunPython.noop)]
