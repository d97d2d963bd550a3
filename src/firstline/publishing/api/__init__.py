"""API of the public site (composed into firstline/api.py)."""

from firstline.core.api import ScopedRouter
from firstline.publishing.api import editions, search

router = ScopedRouter(tags=["publishing"])
router.add_router("", search.router)
router.add_router("", editions.router)
