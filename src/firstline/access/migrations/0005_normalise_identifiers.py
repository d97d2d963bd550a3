"""Visitors' phones written before normalisation are re-sealed in their normalised form,
and registered plates are rewritten in the form cameras report (NFKC, upper case, no
separators; core.personal.normalise). Only rows that change are written. A plate whose
normalised form is already registered at the same site is left as it was (the site
cannot hold one plate twice; the old spelling never matched a camera read anyway).
"""

from django.db import migrations

from firstline.core.personal.fields import reseal_normalised
from firstline.core.personal.normalise import normalise_plate


def normalise(apps, schema_editor):
    reseal_normalised(apps.get_model("access", "Visitor"), ("phone",))
    Vehicle = apps.get_model("access", "Vehicle")
    taken = set()
    rewrite = []
    rows = Vehicle._base_manager.order_by("pk").values_list("pk", "company_id", "site_id", "plate")
    for pk, company_id, site_id, plate in rows.iterator(chunk_size=2000):
        taken.add((company_id, site_id, plate))
        if normalise_plate(plate) != plate:
            rewrite.append((pk, company_id, site_id, normalise_plate(plate)))
    for pk, company_id, site_id, plate in rewrite:
        if (company_id, site_id, plate) not in taken:
            Vehicle._base_manager.filter(pk=pk).update(plate=plate)
            taken.add((company_id, site_id, plate))


class Migration(migrations.Migration):
    dependencies = [("access", "0004_event_indexes_for_the_gate")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
