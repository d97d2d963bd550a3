"""Sanitation API under /api/v1/sanitation/: today's tasks and completions (phone),
device runs (UV lamps, drones, with their device tokens)."""

from ninja import Router

router = Router(tags=["sanitation"])
