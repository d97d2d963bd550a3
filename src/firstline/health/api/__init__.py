"""Health API under /api/v1/health/: declarations and screening status
(api_screening), isolation checks and support requests (api_care)."""

from ninja import Router

from firstline.health.api.care import router as care_router
from firstline.health.api.screening import router as screening_router

router = Router(tags=["health"])
router.add_router("/", screening_router)
router.add_router("/", care_router)
