"""Personal-data fields on a model: each sensitive value is four columns.

    phone = PersonalData("phone")     # declares phone_enc, phone_hmac, phone_last4, phone_masked

Reading `obj.phone` gives the masked form; the plaintext is only reached through
`reveal()` in services, which checks permission and writes the access log.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.crypto import seal, unseal
from firstline.core.personal.normalise import normalise


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
    """Store `value` (already validated) into obj's four columns in its normalised
    form, or clear them."""
    value = normalise(kind, value)
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


def reseal_normalised(model, kinds: tuple[str, ...], *, batch: int = 2000) -> list[int]:
    """Re-seal the `kinds` of every `model` row whose stored plaintext is not in its
    normalised form (`normalise.py`); the primary keys of the rows rewritten.

    For data written before normalisation: only the ciphertext says what was typed
    (the masked form hides the middle, where a full-width digit may sit), so every
    sealed value is decrypted once; only the values whose plaintext changes are
    written, in batches. A table without sealed values never touches the key ring,
    so this is a no-op on an empty database. Works on migration (historical) models.
    """
    manager = model._base_manager
    holding = models.Q()
    for kind in kinds:
        holding |= models.Q(**{f"{kind}_enc__isnull": False})
    if not manager.filter(holding).exists():
        return []
    changed: set[int] = set()
    last_pk = None
    while True:
        page = manager.filter(holding).order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", *(f"{kind}_enc" for kind in kinds))[:batch])
        if not rows:
            return sorted(changed)
        last_pk = rows[-1][0]
        for index, kind in enumerate(kinds, start=1):
            dirty = []
            for row in rows:
                blob = row[index]
                if not blob:
                    continue
                plain = unseal(kind, blob)
                if normalise(kind, plain) != plain:
                    obj = model(pk=row[0])
                    set_personal(obj, kind, plain)
                    dirty.append(obj)
            if dirty:
                manager.bulk_update(
                    dirty, [f"{kind}_{suffix}" for suffix in ("enc", "hmac", "last4", "masked")]
                )
                changed.update(obj.pk for obj in dirty)
