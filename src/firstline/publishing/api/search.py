"""Search of the public site over the API."""

from ninja import Router

router = Router(tags=["publishing"])
