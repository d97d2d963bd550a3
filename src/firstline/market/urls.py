"""market pages (under /market/)."""

from django.urls import path

from firstline.market import views

app_name = "market"

urlpatterns = [
    path("impact/", views.impact, name="impact"),
    path("campaigns/", views.CampaignList.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignEdit.as_view(), name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.CampaignEdit.as_view(), name="campaign_edit"),
    path("campaigns/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaign-sites/<int:pk>/order/", views.staff_order, name="staff_order"),
    path("suppliers/", views.SupplierList.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierEdit.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierDetail.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierEdit.as_view(), name="supplier_edit"),
    path(
        "suppliers/<int:pk>/certificates/new/",
        views.CertificateAdd.as_view(),
        name="certificate_add",
    ),
    path("suppliers/<int:pk>/login/", views.SupplierLoginCreate.as_view(), name="supplier_login"),
    path("products/", views.ProductList.as_view(), name="product_list"),
    path("products/new/", views.ProductEdit.as_view(), name="product_create"),
    path("products/<int:pk>/edit/", views.ProductEdit.as_view(), name="product_edit"),
    path("orders/", views.OrderList.as_view(), name="order_list"),
    path("orders/<int:pk>/", views.OrderDetail.as_view(), name="order_detail"),
    path("orders/<int:pk>/handover/", views.order_handover, name="order_handover"),
    path("orders/<int:pk>/payments/new/", views.PaymentRecord.as_view(), name="payment_record"),
    path("handover/", views.handover_lookup, name="handover"),
    path("purchase-orders/<int:pk>/", views.PurchaseOrderDetail.as_view(), name="po_detail"),
    path("purchase-orders/<int:pk>/receive/", views.po_receive, name="po_receive"),
    path("mine/", views.my_orders, name="my_orders"),
    path("mine/shop/<int:pk>/", views.shop, name="shop"),
    path("mine/orders/<int:pk>/", views.my_order, name="my_order"),
    path("mine/orders/<int:pk>/cancel/", views.my_order_cancel, name="my_order_cancel"),
    path("supplier/", views.supplier_orders, name="supplier_orders"),
    path("supplier/<int:pk>/confirm/", views.supplier_confirm, name="supplier_confirm"),
]
