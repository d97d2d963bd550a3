"""Roll-up, overview and webhook pages (included into the "reports" namespace under
/reports/)."""

from django.urls import path

from firstline.reports import views_rollup, views_webhook

urlpatterns = [
    path("rollup/", views_rollup.RollupView.as_view(), name="rollup"),
    path("rollup/export/", views_rollup.RollupExport.as_view(), name="rollup_export"),
    path("overview/", views_rollup.OverviewView.as_view(), name="overview"),
    path("webhooks/", views_webhook.WebhookList.as_view(), name="webhook_list"),
    path("webhooks/new/", views_webhook.WebhookCreate.as_view(), name="webhook_create"),
    path(
        "webhooks/<int:pk>/deactivate/",
        views_webhook.WebhookDeactivate.as_view(),
        name="webhook_deactivate",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        views_webhook.WebhookDeliveries.as_view(),
        name="webhook_deliveries",
    ),
    path(
        "deliveries/<int:pk>/retry/", views_webhook.DeliveryRetry.as_view(), name="delivery_retry"
    ),
]
