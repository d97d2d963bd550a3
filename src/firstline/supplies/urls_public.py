"""Placeholder until its helper writes it."""

app_name = "ledger"
urlpatterns: list = []
