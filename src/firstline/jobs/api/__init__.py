"""jobs API under /api/v1/jobs/: the public fair (no login), the graduate's own
profile and applications, the employer's booths, positions and applicants, and the
association's fairs, verification and figures."""

from ninja import Router

from firstline.jobs.api import association, employer, graduate, public

router = Router(tags=["jobs"])
router.add_router("/", public.router)
router.add_router("/", graduate.router)
router.add_router("/", employer.router)
router.add_router("/", association.router)
