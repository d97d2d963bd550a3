"""Placeholder until its helper writes it."""

urlpatterns: list = []
