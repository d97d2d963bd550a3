"""Administration pages of access control (included in namespace "access" under /access/)."""

from django.urls import path

from firstline.access.views import administration as v

urlpatterns = [
    path("policies/", v.PolicyList.as_view(), name="policy_list"),
    path("policies/new/", v.PolicyCreate.as_view(), name="policy_create"),
    path("policies/<int:pk>/", v.PolicyDetail.as_view(), name="policy_detail"),
    path("passes/", v.PassList.as_view(), name="pass_list"),
    path("passes/issue/", v.PassIssue.as_view(), name="pass_issue"),
    path("passes/<int:pk>/", v.PassDetail.as_view(), name="pass_detail"),
    path("passes/<int:pk>/revoke/", v.PassRevoke.as_view(), name="pass_revoke"),
    path("buildings/<int:pk>/passes/print/", v.PassSheet.as_view(), name="pass_sheet"),
    path("my/passes/", v.MyPasses.as_view(), name="my_passes"),
    path("my/passes/<int:pk>/", v.MyPass.as_view(), name="my_pass"),
    path("checkpoints/", v.CheckpointList.as_view(), name="checkpoint_list"),
    path("checkpoints/new/", v.CheckpointCreate.as_view(), name="checkpoint_create"),
    path("checkpoints/<int:pk>/edit/", v.CheckpointUpdate.as_view(), name="checkpoint_edit"),
    path("devices/", v.DeviceList.as_view(), name="device_list"),
    path("devices/new/", v.DeviceCreate.as_view(), name="device_create"),
    path("devices/<int:pk>/rotate/", v.DeviceRotate.as_view(), name="device_rotate"),
    path("devices/<int:pk>/deactivate/", v.DeviceDeactivate.as_view(), name="device_deactivate"),
    path("visitors/", v.VisitorList.as_view(), name="visitor_list"),
    path("visitors/new/", v.VisitorCreate.as_view(), name="visitor_create"),
    path("visitors/<int:pk>/", v.VisitorDetail.as_view(), name="visitor_detail"),
    path("deliveries/", v.DeliveryList.as_view(), name="delivery_list"),
    path("deliveries/new/", v.DeliveryCreate.as_view(), name="delivery_create"),
    path("deliveries/<int:pk>/collect/", v.DeliveryCollect.as_view(), name="delivery_collect"),
    path("vehicles/", v.VehicleList.as_view(), name="vehicle_list"),
    path("vehicles/new/", v.VehicleCreate.as_view(), name="vehicle_create"),
    path("vehicles/<int:pk>/remove/", v.VehicleRemove.as_view(), name="vehicle_remove"),
]
