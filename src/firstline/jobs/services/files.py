"""What a CV may be: PDF or Word (.docx), at most 5 MB, its type read from its bytes
(the `filetype` library), never from the name or the browser's claim."""

from __future__ import annotations

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
ALLOWED = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


def cv_kind(upload, *, field: str = "cv") -> str:
    """The content type of an acceptable CV, from its bytes; ValidationError otherwise."""
    if upload.size is None or upload.size <= 0:
        raise ValidationError({field: _("简历文件是空的。")})
    if upload.size > MAX_BYTES:
        raise ValidationError({field: _("简历不能超过 5 MB。")})
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise ValidationError({field: _("简历只接受 PDF 或 Word（.docx）文件。")})
    return kind.mime
