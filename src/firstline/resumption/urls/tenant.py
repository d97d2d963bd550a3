from django.urls import path

from firstline.resumption.views import tenant

urlpatterns = [
    path("mine/", tenant.Mine.as_view(), name="mine"),
    path("t/<int:pk>/", tenant.TenantHome.as_view(), name="tenant_home"),
    path("t/<int:pk>/application/", tenant.ApplicationEdit.as_view(), name="application_edit"),
    path("t/<int:pk>/submit/", tenant.ApplicationSubmit.as_view(), name="application_submit"),
    path("t/<int:pk>/staff/new/", tenant.StaffAdd.as_view(), name="staff_add"),
    path("t/<int:pk>/staff/import/", tenant.StaffImport.as_view(), name="staff_import"),
    path("staff/template/", tenant.StaffTemplate.as_view(), name="staff_template"),
    path("t/<int:pk>/passes/", tenant.PassesIssue.as_view(), name="passes_issue"),
]
