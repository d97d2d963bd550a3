"""A file or image question's upload: its size and type checked (by its first bytes,
not its name alone), kept in the default storage (settings.STORAGES, private: no
URL of its own) under an unguessable folder of its survey, and served only by
views/files.py to whoever may read the survey's results. The stored answer is the
file's storage path, `surveys/<survey>/files/<token>/<name>`, so the page that
serves it is at the same path (`/surveys/<survey>/files/<token>/<name>`) and an
export shows that address (absolute with FIRSTLINE_BASE_URL)."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from firstline.surveys.models import Question

MAX_BYTES = 5 * 1024 * 1024
NAME_MAX = 80
# extension → the first bytes its content must start with
IMAGES = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "webp": (b"RIFF",),
}
FILES = {
    **IMAGES,
    "pdf": (b"%PDF-",),
    "xlsx": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
}


def folder(survey_id: int) -> str:
    return f"surveys/{survey_id}/files/"


def url_prefix() -> str:
    """What goes before a stored path in an export: the site's address and a slash."""
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/") + "/"


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _safe_name(name: str) -> str:
    stem, _dot, ext = name.rpartition(".")
    stem = re.sub(r"[^\w.-]+", "_", stem or "file").strip("._")[: NAME_MAX - 6] or "file"
    return f"{stem}.{ext.lower()}"


def upload_store(*, question: Question, upload) -> str:
    """Check and keep one uploaded file; returns its storage path (the answer)."""
    allowed = IMAGES if question.type == Question.Type.IMAGE else FILES
    ext = (upload.name or "").rpartition(".")[2].lower()
    if ext not in allowed:
        raise ValidationError(
            _("只能上传 %(types)s 文件。") % {"types": "、".join(sorted(set(allowed)))}
        )
    if upload.size > MAX_BYTES:
        raise ValidationError(_("文件不能超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not upload.size:
        raise ValidationError(_("文件是空的。"))
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(allowed[ext]) or (ext == "webp" and head[8:12] != b"WEBP"):
        raise ValidationError(_("文件内容与其类型不符。"))
    path = f"{folder(question.survey_id)}{secrets.token_urlsafe(16)}/{_safe_name(upload.name)}"
    return default_storage.save(path, upload)


def is_stored(question: Question, value) -> bool:
    """Whether `value` names a file uploaded for this question's survey."""
    if not isinstance(value, str) or ".." in value or "\\" in value:
        return False
    rest = value[len(folder(question.survey_id)) :]
    return value.startswith(folder(question.survey_id)) and rest.count("/") == 1
