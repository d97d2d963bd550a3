"""Shipment pages (in the "supplies" namespace under /supplies/): the coordinator's
shipments and dispatch; the company's and sites' incoming shipments and receipt; a
site's stock, its use history and the use form."""

from django.urls import path

from firstline.supplies.views import shipments as views

urlpatterns = [
    path("shipments/", views.ShipmentList.as_view(), name="shipment_list"),
    path("shipments/<int:pk>/", views.ShipmentDetail.as_view(), name="shipment_detail"),
    path(
        "shipments/<int:pk>/dispatch/", views.ShipmentDispatch.as_view(), name="shipment_dispatch"
    ),
    path("plans/<int:pk>/dispatch/", views.PlanDispatch.as_view(), name="plan_dispatch"),
    path("incoming/", views.IncomingList.as_view(), name="incoming_list"),
    path("incoming/<int:pk>/", views.IncomingDetail.as_view(), name="incoming_detail"),
    path("incoming/<int:pk>/receipt/", views.IncomingReceipt.as_view(), name="incoming_receipt"),
    path("incoming/<int:pk>/receive/", views.IncomingReceive.as_view(), name="incoming_receive"),
    path("site-stock/", views.SiteStockList.as_view(), name="site_stock_list"),
    path("site-stock/<int:pk>/", views.SiteStock.as_view(), name="site_stock"),
    path("site-stock/<int:pk>/use/", views.ConsumptionRecord.as_view(), name="consumption_record"),
]
