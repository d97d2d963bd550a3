"""Consultations API under /api/v1/consultations/: consultations and their threads
(api/threads.py), online sessions and the figures (api/sessions.py)."""

from ninja import Router

from firstline.consultations.api import sessions, threads

router = Router(tags=["consultations"])
router.add_router("/", threads.router)
router.add_router("/", sessions.router)
