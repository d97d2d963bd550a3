"""Django's system checks pass on the database the suite runs on: `manage migrate`
and `manage check` run them, so an app's index that needs a contrib app (Wagtail's
GIN index needs django.contrib.postgres on PostgreSQL) must not stop a deployment."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db  # some apps' checks read the database (Wagtail's, the URL ones)
def test_system_checks_pass():
    call_command("check", fail_level="ERROR")
