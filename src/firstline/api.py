"""The one NinjaAPI at /api/v1/: each app adds its router here."""

from firstline.core.api import DocumentedAPI
from firstline.orgs.api import AUTH

api = DocumentedAPI(
    title="Firstline API",
    version="1",
    description="Firstline: closed-compound management, screening, sanitation, reporting and supplies.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)

from firstline.access.api.gate import router as access_router  # noqa: E402
from firstline.consultations.api import router as consultations_router  # noqa: E402
from firstline.estates.api import router as estates_router  # noqa: E402
from firstline.health.api import router as health_router  # noqa: E402
from firstline.jobs.api import router as jobs_router  # noqa: E402
from firstline.market.api import router as market_router  # noqa: E402
from firstline.notices.api import router as notices_router  # noqa: E402
from firstline.orgs.api import router as orgs_router  # noqa: E402
from firstline.publishing.api import router as publishing_router  # noqa: E402
from firstline.reports.api import router as reports_router  # noqa: E402
from firstline.resumption.api import router as resumption_router  # noqa: E402
from firstline.sanitation.api import router as sanitation_router  # noqa: E402
from firstline.supplies.api import router as supplies_router  # noqa: E402
from firstline.surveys.api import router as surveys_router  # noqa: E402
from firstline.training.api import router as training_router  # noqa: E402
from firstline.volunteers.api import router as volunteers_router  # noqa: E402

api.add_router("/auth", orgs_router)
api.add_router("/", estates_router)
api.add_router("/access", access_router)
api.add_router("/health", health_router)
api.add_router("/sanitation", sanitation_router)
api.add_router("/reports", reports_router)
api.add_router("/supplies", supplies_router)
api.add_router("/notices", notices_router)
api.add_router("/surveys", surveys_router)
api.add_router("/volunteers", volunteers_router)
api.add_router("/consultations", consultations_router)
api.add_router("/resumption", resumption_router)
api.add_router("/training", training_router)
api.add_router("/jobs", jobs_router)
api.add_router("/market", market_router)
api.add_router("/site", publishing_router)
