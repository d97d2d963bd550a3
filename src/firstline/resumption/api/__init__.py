"""Resumption API under /api/v1/resumption/: the building manager's tenants and
applications (approve / refuse / suspend, figures) and the tenant admin's own
application, staff and passes."""

from ninja import Router

from firstline.resumption.api import building, tenant

router = Router(tags=["resumption"])
router.add_router("/", building.router)
router.add_router("/", tenant.router)
