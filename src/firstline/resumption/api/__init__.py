"""resumption API."""

from ninja import Router

router = Router(tags=["resumption"])
