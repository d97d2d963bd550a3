"""The landing page at "/" (each role's dashboard) through the shared tenancy checks:
anonymous → login, a signed-in user of each kind → 200. What each dashboard shows, and
that it counts only the user's scope, is test_dashboards.py's."""

from __future__ import annotations

from firstline.testing.tenancy import Page, TenancyCases


class TestHomeTenancy(TenancyCases):
    routes = [
        Page("dashboard"),
        Page("dashboard", viewer="site_manager"),
        Page("dashboard", viewer="resident"),
    ]
