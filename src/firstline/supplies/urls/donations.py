"""Donation and stock pages (in the "supplies" namespace under /supplies/): the
coordinator's catalogue, donors, campaigns, warehouses, pledges, batches, stock,
reconciliation and adjustments; the companies' own stock and transfers."""

from django.urls import path

from firstline.supplies.views import donations as views

urlpatterns = [
    path("items/", views.ItemList.as_view(), name="item_list"),
    path("donors/", views.DonorList.as_view(), name="donor_list"),
    path("donors/new/", views.DonorCreate.as_view(), name="donor_create"),
    path("donors/<int:pk>/edit/", views.DonorEdit.as_view(), name="donor_edit"),
    path("campaigns/", views.CampaignList.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignCreate.as_view(), name="campaign_create"),
    path("warehouses/", views.WarehouseList.as_view(), name="warehouse_list"),
    path("warehouses/new/", views.WarehouseCreate.as_view(), name="warehouse_create"),
    path("pledges/", views.PledgeList.as_view(), name="pledge_list"),
    path("pledges/new/", views.PledgeCreate.as_view(), name="pledge_create"),
    path("pledges/<int:pk>/cancel/", views.PledgeCancel.as_view(), name="pledge_cancel"),
    path("batches/", views.BatchList.as_view(), name="batch_list"),
    path("batches/new/", views.BatchReceive.as_view(), name="batch_receive"),
    path("batches/<int:pk>/", views.BatchDetail.as_view(), name="batch_detail"),
    path("batches/<int:pk>/documents/new/", views.DocumentAdd.as_view(), name="document_add"),
    path("documents/<int:pk>/", views.DocumentDownload.as_view(), name="document_download"),
    path("stock/", views.StockList.as_view(), name="stock_list"),
    path("stock/reconciliation/", views.Reconciliation.as_view(), name="reconciliation"),
    path("stock/adjust/", views.StockAdjust.as_view(), name="stock_adjust"),
    path("stock/mine/", views.StockMine.as_view(), name="stock_mine"),
    path("stock/transfer/", views.Transfer.as_view(), name="transfer"),
    path("stock/locations/<int:pk>/", views.StockLocation.as_view(), name="stock_location"),
]
