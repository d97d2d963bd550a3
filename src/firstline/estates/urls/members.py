"""The association's members registry (included at "" without a namespace): the member
companies with their sites, which is why these pages live above `orgs`."""

from django.urls import path

from firstline.estates.views import members

urlpatterns = [
    path("companies/", members.CompanyList.as_view(), name="company_list"),
    path("companies/new/", members.CompanyCreate.as_view(), name="company_create"),
    path("companies/<int:pk>/", members.CompanyDetail.as_view(), name="company_detail"),
    path("companies/<int:pk>/edit/", members.CompanyUpdate.as_view(), name="company_edit"),
]
