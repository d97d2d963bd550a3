"""Supplies pages behind the login: donations and the ledger's stock (urls_donations),
needs and allocation (urls_allocation), shipments, receipts and use
(urls_shipments), the donor's own view (urls_donor). The public ledger is
urls_public, mounted at /ledger/ without a login."""

from firstline.supplies import urls_allocation, urls_donations, urls_donor, urls_shipments

app_name = "supplies"

urlpatterns = [
    *urls_donations.urlpatterns,
    *urls_allocation.urlpatterns,
    *urls_shipments.urlpatterns,
    *urls_donor.urlpatterns,
]
