from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from firstline.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("firstline.orgs.urls")),
    path("", include("firstline.core.urls")),
    path("", include("firstline.reports.urls.home")),
    path("", include("firstline.estates.urls.members")),
    path("", include("firstline.estates.urls")),
    path("access/", include("firstline.access.urls")),
    path("health/", include("firstline.health.urls")),
    path("sanitation/", include("firstline.sanitation.urls")),
    path("reports/", include("firstline.reports.urls")),
    path("supplies/", include("firstline.supplies.urls")),
    path("notices/", include("firstline.notices.urls")),
    path("surveys/", include("firstline.surveys.urls")),
    path("volunteers/", include("firstline.volunteers.urls")),
    path("consultations/", include("firstline.consultations.urls")),
    path("resumption/", include("firstline.resumption.urls")),
    path("training/", include("firstline.training.urls")),
    path("jobs/", include("firstline.jobs.urls")),
    path("market/", include("firstline.market.urls")),
    path("ledger/", include("firstline.supplies.urls.public")),
    # The association's public site (publishing/, Wagtail): the editor, documents,
    # the site's own views, then Wagtail serving every page under /site/.
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("site/", include("firstline.publishing.urls")),
    path("publishing/", include("firstline.publishing.urls.members")),
    path("site/", include(wagtail_urls)),
]

handler403 = "firstline.core.views.error_403"
handler404 = "firstline.core.views.error_404"
handler500 = "firstline.core.views.error_500"
