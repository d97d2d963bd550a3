"""What a notice may hold: its body as sanitised HTML (nh3, a small set of safe
tags; no script, style, event attribute or javascript: link survives) and its
attachments (PDF, Word, Excel or an image, recognised by their bytes, not their
names; at most 10 MB each, 5 a notice)."""

from __future__ import annotations

import io
import zipfile

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed with what they hold (not just the tags): their text is never meant to show.
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript"}

BODY_MAX_CHARS = 20_000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_MAX = 5

# name → (content type, first bytes)
_MAGIC = (
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF8"),
)
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_OFFICE = {
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "word/document.xml",
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xl/workbook.xml",
    ),
}


def body_clean(html: str) -> str:
    """The body as it will be stored and shown: only the allowed tags and `href` on
    links (http, https, mailto, tel), links opened with rel="noopener noreferrer";
    plain text's line breaks become paragraphs."""
    html = (html or "").strip()
    if html and "<" not in html:
        paragraphs = [p.strip() for p in html.replace("\r\n", "\n").split("\n\n")]
        html = "".join(
            "<p>{}</p>".format("<br>".join(nh3.clean_text(line) for line in p.split("\n")))
            for p in paragraphs
            if p
        )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def body_check(html: str) -> str:
    """The cleaned body, or a ValidationError on `body` when nothing readable is left."""
    if len(html or "") > BODY_MAX_CHARS:
        raise ValidationError({"body": _("正文不能超过 %(n)d 个字符。") % {"n": BODY_MAX_CHARS}})
    cleaned = body_clean(html)
    if not strip_tags(cleaned).strip():
        raise ValidationError({"body": _("请填写正文。")})
    return cleaned


def attachment_kind(upload) -> str:
    """The content type of an allowed file, from its bytes; ValidationError otherwise."""
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"attachment": _("附件不能超过 10 MB。")})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for content_type, magic in _MAGIC:
        if head.startswith(magic):
            return content_type
    suffix = (
        "." + (upload.name or "").rsplit(".", 1)[-1].lower() if "." in (upload.name or "") else ""
    )
    if head.startswith(b"PK\x03\x04") and suffix in _OFFICE:
        content_type, member = _OFFICE[suffix]
        try:
            data = io.BytesIO(upload.read())
            with zipfile.ZipFile(data) as archive:
                if member in archive.namelist():
                    return content_type
        except zipfile.BadZipFile:
            pass
        finally:
            upload.seek(0)
    raise ValidationError(
        {"attachment": _("只接受 PDF、Word（.docx）、Excel（.xlsx）或图片（JPEG、PNG、GIF）文件。")}
    )


def attachment_name(name: str) -> str:
    """The name to show and download under: the last path part, without control
    characters, at most 120 characters (the extension kept)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "attachment"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) < 10 else name[:120]
    return name
