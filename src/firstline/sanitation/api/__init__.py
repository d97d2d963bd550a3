"""Sanitation API under /api/v1/sanitation/: today's tasks and completions (phone),
device runs (UV lamps, drones, with their device tokens)."""

from ninja import Router

from firstline.sanitation.api import cleaner

router = Router(tags=["sanitation"])
router.add_router("/", cleaner.router)
