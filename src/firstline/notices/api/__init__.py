"""Notices API under /api/v1/notices/: the senders' (list, one, draft, publish,
withdraw, receipts) and the recipients' (mine, read)."""

from ninja import Router

from firstline.notices.api import inbox, sender

router = Router(tags=["notices"])
router.add_router("/", inbox.router)  # /mine before /{id}
router.add_router("/", sender.router)
