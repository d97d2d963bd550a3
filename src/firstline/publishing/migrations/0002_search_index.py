"""Reserved for one part of the public site's work (see the module's operations);
kept in a fixed chain so parts written side by side migrate in one order."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]

    operations: list = []
