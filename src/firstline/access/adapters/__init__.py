"""Vendor push formats turned into the one gate-event shape (services.GateInput).

An adapter parses a vendor's notification and maps it; it stores nothing itself:
the API endpoint hands what it made to `services.events_record`, the same path
as the JSON event API, so decisions, alerts and idempotency are the same.
"""
