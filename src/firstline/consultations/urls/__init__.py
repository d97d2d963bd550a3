"""Consultation pages (under /consultations/): questions and their threads
(urls/threads.py), the desk's experts, categories, FAQ drafts and figures
(urls/desk.py), online sessions (urls/sessions.py)."""

from firstline.consultations.urls import desk, sessions, threads

app_name = "consultations"

urlpatterns = [
    *threads.urlpatterns,
    *desk.urlpatterns,
    *sessions.urlpatterns,
]
