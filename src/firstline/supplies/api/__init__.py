"""Supplies API under /api/v1/supplies/: catalogue, donations and stock
(api_donations), needs and allocation (api_allocation), shipments and receipts
(api_shipments), the public ledger's open data (api_public, no login)."""

from ninja import Router

from firstline.supplies.api.allocation import router as allocation_router
from firstline.supplies.api.donations import router as donations_router
from firstline.supplies.api.public import router as public_router
from firstline.supplies.api.shipments import router as shipments_router

router = Router(tags=["supplies"])
router.add_router("/", donations_router)
router.add_router("/", allocation_router)
router.add_router("/", shipments_router)
router.add_router("/", public_router)
