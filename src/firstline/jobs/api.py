"""jobs API under /api/v1/jobs/."""

from ninja import Router

router = Router(tags=["jobs"])
