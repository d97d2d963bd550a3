"""Volunteers pages (under /volunteers/): people and teams (urls/people.py), duty
and certificates (urls/duty.py), support tasks and handover (urls/support.py), staff
safety (urls/safety.py), the phone pages of a person on duty (urls/phone.py)."""

from firstline.volunteers.urls import duty, people, phone, safety, support

app_name = "volunteers"

urlpatterns = [
    *people.urlpatterns,
    *duty.urlpatterns,
    *support.urlpatterns,
    *safety.urlpatterns,
    *phone.urlpatterns,
]
