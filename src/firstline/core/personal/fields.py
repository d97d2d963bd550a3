"""Personal-data fields on a model: each sensitive value is four columns.

    phone = PersonalData("phone")     # declares phone_enc, phone_hmac, phone_last4, phone_masked

Reading `obj.phone` gives the masked form; the plaintext is only reached through
`reveal()` in services, which checks permission and writes the access log.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.crypto import seal, unseal


def personal_columns(kind: str, label: str, *, blank: bool = True) -> dict[str, models.Field]:
    """The concrete fields for one sensitive value, to spread into a model body."""
    return {
        f"{kind}_enc": models.BinaryField(
            _("%(label)s（密文）") % {"label": label}, null=blank, blank=blank, editable=False
        ),
        f"{kind}_hmac": models.CharField(
            _("%(label)s（索引）") % {"label": label},
            max_length=64,
            blank=True,
            db_index=True,
            editable=False,
        ),
        f"{kind}_last4": models.CharField(
            _("%(label)s后四位") % {"label": label},
            max_length=4,
            blank=True,
            db_index=True,
            editable=False,
        ),
        f"{kind}_masked": models.CharField(label, max_length=32, blank=True, editable=False),
    }


def set_personal(obj, kind: str, value: str | None) -> None:
    """Store `value` (already validated) into obj's four columns, or clear them."""
    if value:
        sealed = seal(kind, value)
        setattr(obj, f"{kind}_enc", sealed.enc)
        setattr(obj, f"{kind}_hmac", sealed.hmac)
        setattr(obj, f"{kind}_last4", sealed.last4)
        setattr(obj, f"{kind}_masked", sealed.masked)
    else:
        setattr(obj, f"{kind}_enc", None)
        for suffix in ("hmac", "last4", "masked"):
            setattr(obj, f"{kind}_{suffix}", "")


def get_personal(obj, kind: str) -> str:
    blob = getattr(obj, f"{kind}_enc")
    return unseal(kind, blob) if blob else ""
