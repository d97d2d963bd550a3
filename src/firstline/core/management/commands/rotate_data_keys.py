"""Re-encrypt every sealed value under the active data key (the first in
FIRSTLINE_DATA_KEYS). Run after putting a new key first; when it reports zero
rows left on old keys, the old key can be removed from the ring."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from firstline.core.personal.crypto import keyring

BATCH = 2000

# Ciphertexts are bound to a context: the personal kind, or "totp" for TOTP secrets.
CONTEXTS = {"totp_secret": b"totp"}


def sealed_columns(model) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.BinaryField) and f.name.endswith("_enc")
    ]


class Command(BaseCommand):
    help = "Re-encrypt personal data under the active key of FIRSTLINE_DATA_KEYS."

    def handle(self, *args, **options):
        ring = keyring()
        active = ring.active.encode() + b":"
        for model in apps.get_models():
            columns = sealed_columns(model)
            if not columns:
                continue
            changed = 0
            manager = model._default_manager
            last_pk = 0
            while True:
                rows = list(
                    manager.filter(pk__gt=last_pk).order_by("pk").only("pk", *columns)[:BATCH]
                )
                if not rows:
                    break
                last_pk = rows[-1].pk
                dirty = []
                for row in rows:
                    touched = False
                    for column in columns:
                        blob = getattr(row, column)
                        if blob and not bytes(blob).startswith(active):
                            context = CONTEXTS.get(
                                column[: -len("_enc")], column[: -len("_enc")].encode()
                            )
                            setattr(row, column, ring.encrypt(ring.decrypt(blob, context), context))
                            touched = True
                    if touched:
                        dirty.append(row)
                if dirty:
                    with transaction.atomic():
                        manager.bulk_update(dirty, columns)
                    changed += len(dirty)
            self.stdout.write(
                f"{model._meta.label}: {changed} rows re-encrypted under key {ring.active}"
            )
