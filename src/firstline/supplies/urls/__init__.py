"""Supplies pages behind the login: donations and the ledger's stock (urls_donations),
needs and allocation (urls_allocation), shipments, receipts and use
(urls_shipments), the donor's own view (urls_donor). The public ledger is
urls_public, mounted at /ledger/ without a login."""

from firstline.supplies.urls import allocation, donations, donor, shipments

app_name = "supplies"

urlpatterns = [
    *donations.urlpatterns,
    *allocation.urlpatterns,
    *shipments.urlpatterns,
    *donor.urlpatterns,
]
