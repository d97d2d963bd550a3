"""Fixtures shared by every app's tests."""

import pytest

from firstline.testing.world import build_world


@pytest.fixture
def world(db):
    """Two companies (a, b), each with a site, building, household, two residents,
    a staff member and a user per role; plus association, authority and no-role users."""
    return build_world()


def pytest_generate_tests(metafunc):
    from firstline.testing.tenancy import pytest_generate_tests as tenancy_params

    tenancy_params(metafunc)
