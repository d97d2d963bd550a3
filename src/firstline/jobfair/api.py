"""jobfair API under /api/v1/jobfair/."""

from ninja import Router

router = Router(tags=["jobfair"])
