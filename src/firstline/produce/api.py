"""produce API under /api/v1/produce/."""

from ninja import Router

router = Router(tags=["produce"])
