"""Lesson videos: uploads checked by the type their bytes show (the `filetype`
library) and their size; served from the storage with HTTP range requests, which
Django's FileResponse does not answer by itself (Django 6.1), so a player can seek."""

from __future__ import annotations

import re

import filetype
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

from firstline.training.models import Lesson

MAX_VIDEO_BYTES = 500 * 1024 * 1024
VIDEO_TYPES = {"video/mp4", "video/webm"}
CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """The (first, last) byte a `Range: bytes=…` header asks of `size` bytes; None
    when there is no single well-formed range (the whole file is sent); False when
    it lies past the end (416)."""
    match = _RANGE.match((header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n and size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        return False
    if end < start:
        return None
    return start, end


def _read(handle, start: int, length: int):
    handle.seek(start)
    while length > 0:
        data = handle.read(min(CHUNK, length))
        if not data:
            break
        length -= len(data)
        yield data
    handle.close()


def video_response(file, range_header: str, content_type: str = "video/mp4"):
    """The file whole (200) or the asked range (206), with Accept-Ranges either way."""
    size = file.size
    wanted = byte_range(range_header, size)
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle = file.open("rb")
    if wanted is None:
        response = FileResponse(handle, content_type=content_type)
    else:
        start, end = wanted
        response = FileResponse(_read(handle, start, end - start + 1), content_type=content_type)
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def check_video(upload) -> str:
    """The upload's type, read from its bytes; refused when not MP4/WebM or too large."""
    if upload.size > MAX_VIDEO_BYTES:
        raise ValidationError({"video": [_("视频不能超过 500 MB。")]})
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in VIDEO_TYPES:
        raise ValidationError({"video": [_("只能上传 MP4 或 WebM 视频。")]})
    return kind.mime


@transaction.atomic
def lesson_video_store(*, lesson: Lesson, upload) -> Lesson:
    check_video(upload)
    lesson.video.save(upload.name[-80:], upload, save=False)
    lesson.kind = Lesson.Kind.VIDEO
    lesson.save(update_fields=["video", "kind"])
    return lesson
