"""training API under /api/v1/training/."""

from ninja import Router

router = Router(tags=["training"])
