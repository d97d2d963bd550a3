"""Roll-up, overview and webhook pages (included into the "reports" namespace under
/reports/)."""

from django.urls import path

from firstline.reports.views import rollup, webhook

urlpatterns = [
    path("rollup/", rollup.RollupView.as_view(), name="rollup"),
    path("rollup/export/", rollup.RollupExport.as_view(), name="rollup_export"),
    path("overview/", rollup.OverviewView.as_view(), name="overview"),
    path("webhooks/", webhook.WebhookList.as_view(), name="webhook_list"),
    path("webhooks/new/", webhook.WebhookCreate.as_view(), name="webhook_create"),
    path(
        "webhooks/<int:pk>/deactivate/",
        webhook.WebhookDeactivate.as_view(),
        name="webhook_deactivate",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhook.WebhookDeliveries.as_view(),
        name="webhook_deliveries",
    ),
    path("deliveries/<int:pk>/retry/", webhook.DeliveryRetry.as_view(), name="delivery_retry"),
]
