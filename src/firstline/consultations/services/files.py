"""What a consultation may carry as a file: PDF, Word (.docx) or an image (JPEG, PNG,
GIF, WebP), at most 10 MB, its type read from its bytes (the `filetype` library:
magic numbers, and for .docx the Word part inside the zip), never from the name or
the browser's claim."""

from __future__ import annotations

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
}
SNIFF_BYTES = 8192


def file_kind(upload, *, field: str = "attachment") -> str:
    """The content type of an allowed file, from its bytes; ValidationError otherwise."""
    if upload.size is None or upload.size <= 0:
        raise ValidationError({field: _("文件是空的。")})
    if upload.size > MAX_BYTES:
        raise ValidationError({field: _("附件不能超过 10 MB。")})
    upload.seek(0)
    data = upload.read() if upload.size <= MAX_BYTES else b""
    upload.seek(0)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise ValidationError(
            {field: _("只接受 PDF、Word（.docx）或图片（JPEG、PNG、GIF、WebP）文件。")}
        )
    return kind.mime


def file_name(name: str) -> str:
    """The name to show and download under: the last path part, printable characters,
    at most 120 characters with the extension kept."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "attachment"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) < 10 else name[:120]
    return name
