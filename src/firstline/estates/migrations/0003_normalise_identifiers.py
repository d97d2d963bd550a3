"""ID numbers and phones written before normalisation (full-width digits, a lower-case
x, spaces, +86) are re-sealed in their normalised form, so exact search and the
duplicate checks find them (core.personal.normalise).

Only rows whose decrypted value changes are written. Two residents of one company
may now carry the same ID number: nothing is merged or deleted here; they show on
the resident list's review notice (`estates.selectors.sharing_id_number`) until a
person corrects the number or removes the extra row. Nothing to do on an empty
database; reversing leaves the normalised values as they are.
"""

from django.db import migrations

from firstline.core.personal.fields import reseal_normalised


def normalise(apps, schema_editor):
    reseal_normalised(apps.get_model("estates", "Resident"), ("phone", "id_number"))
    reseal_normalised(apps.get_model("estates", "Staff"), ("phone",))


class Migration(migrations.Migration):
    dependencies = [("estates", "0002_initial")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
