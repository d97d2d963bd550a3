"""Volunteers API under /api/v1/volunteers/: people and teams, duty and scans,
support tasks and handover, staff safety and figures."""

from ninja import Router

from firstline.volunteers.api import duty, people, safety, support

router = Router(tags=["volunteers"])
router.add_router("/", people.router)
router.add_router("/", duty.router)
router.add_router("/", support.router)
router.add_router("/", safety.router)
