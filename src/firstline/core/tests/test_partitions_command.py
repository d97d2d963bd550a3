"""`manage partitions_ahead` where there are no partitions (SQLite): it says so and
changes nothing; a bad --months is refused. PostgreSQL's side is tested with the gate
events (access/tests/test_partitions.py)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from firstline.core import partitions


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's side")
def test_without_partitions_the_command_says_so(db, capsys):
    call_command("partitions_ahead")
    assert "no partitions" in capsys.readouterr().out
    assert partitions.ensure_ahead() == []
    assert partitions.drop_months_before(partitions.of("access.AccessEvent"), None) == []


def test_a_bad_number_of_months_is_refused(db):
    with pytest.raises(CommandError, match="between 0 and 120"):
        call_command("partitions_ahead", "--months", "121")


def test_months_and_names():
    from datetime import date

    assert partitions.add_months(date(2026, 12, 7), 1) == date(2027, 1, 1)
    assert partitions.add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert list(partitions.months(date(2026, 11, 5), date(2027, 1, 1))) == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
    ]  # fmt: skip
    assert partitions.child_name("t", date(2027, 1, 1)) == "t_y2027m01"
