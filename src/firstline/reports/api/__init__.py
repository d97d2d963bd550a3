"""Reports API under /api/v1/reports/: daily reports (api_daily), roll-ups
(api_rollup), the command centre's alerts (api_command)."""

from ninja import Router

from firstline.reports.api.command import router as command_router
from firstline.reports.api.daily import router as daily_router
from firstline.reports.api.rollup import router as rollup_router

router = Router(tags=["reports"])
router.add_router("/", daily_router)
router.add_router("/", rollup_router)
router.add_router("/", command_router)
