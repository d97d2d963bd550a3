"""PDFs of a guide, made with reportlab and its built-in CJK font (STSong-Light, a CID
font every PDF reader has: no font file ships or embeds):

- the lobby poster: A4, the guide's title, site type and poster points in large type,
  a QR code (segno) to the guide's public page, the version and date;
- the downloadable text: the whole guide, chapters and sections, on A4.

Both are pure functions of the guide's text: bytes out, nothing written.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
WIDTH, HEIGHT = A4
MARGIN = 20 * mm
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width` at `size`: Chinese breaks between any two
    characters, so this wraps by measured width, keeping given line breaks."""
    font = _font()
    lines: list[str] = []
    for paragraph in (text or "").split("\n"):
        line = ""
        for char in paragraph:
            if line and pdfmetrics.stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = "" if char == " " else char
            else:
                line += char
        lines.append(line)
    return lines


def plain(rich: str) -> str:
    """Rich text (Wagtail's HTML) as plain lines: block ends become line breaks."""
    text = re.sub(r"</(p|li|h\d)>|<br\s*/?>", "\n", str(rich or ""))
    text = re.sub(r"<li[^>]*>", "· ", text)
    text = re.sub(r"<[^>]+>", "", text)
    return "\n".join(line.strip() for line in html.unescape(text).splitlines() if line.strip())


def draw_qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """A QR code of `url` drawn black, `size` square with its lower left corner at
    (x, y): the poster's, and the one other apps' PDFs use (training's and
    volunteers' certificates)."""
    qr = segno.make(url, error="m")
    rows = list(qr.matrix_iter(border=2))
    cell = size / len(rows)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def poster_pdf(
    *, title: str, site_type: str, points: Iterable[str], url: str, version: str, date: str
) -> bytes:
    """One A4 page for a lobby wall."""
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    pdf.setAuthor("Firstline 第一防线")
    inner = WIDTH - 2 * MARGIN
    # Header band.
    pdf.setFillColorRGB(0.69, 0.11, 0.11)
    pdf.rect(0, HEIGHT - 48 * mm, WIDTH, 48 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont(font, 14)
    pdf.drawString(MARGIN, HEIGHT - 16 * mm, f"疫情防控操作指引 · {site_type}")
    y = HEIGHT - 30 * mm
    for line in wrap(title, 26, inner)[:2]:
        pdf.setFont(font, 26)
        pdf.drawString(MARGIN, y, line)
        y -= 11 * mm
    # The points.
    pdf.setFillColorRGB(0, 0, 0)
    y = HEIGHT - 64 * mm
    size, leading = 17, 8.5 * mm
    for number, point in enumerate([p.strip() for p in points if p.strip()][:12], start=1):
        lines = wrap(point, size, inner - 12 * mm)
        if y - leading * len(lines) < 80 * mm:
            break
        pdf.setFont(font, size)
        pdf.setFillColorRGB(0.69, 0.11, 0.11)
        pdf.drawString(MARGIN, y, f"{number}.")
        pdf.setFillColorRGB(0, 0, 0)
        for line in lines:
            pdf.drawString(MARGIN + 12 * mm, y, line)
            y -= leading
        y -= 3 * mm
    # Footer: QR code, version and date.
    qr_size = 50 * mm
    draw_qr(pdf, url, WIDTH - MARGIN - qr_size, 20 * mm, qr_size)
    pdf.setFont(font, 12)
    pdf.drawString(MARGIN, 58 * mm, "扫码阅读指引全文")
    pdf.drawString(MARGIN, 50 * mm, f"第 {version} 版 · {date}")
    pdf.setFont(font, 10)
    pdf.drawString(MARGIN, 42 * mm, "物业管理行业协会发布")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def guide_poster_pdf(*, guide, url: str) -> bytes:
    published = guide.last_published_at or guide.first_published_at
    return poster_pdf(
        title=guide.title,
        site_type=str(guide.get_site_type_display()),
        points=(guide.poster_points or "").splitlines(),
        url=url,
        version=guide.version,
        date=published.strftime("%Y-%m-%d") if published else "",
    )


def guide_document_pdf(*, title: str, subtitle: str, chapters: Iterable[tuple]) -> bytes:
    """The guide's whole text on A4 pages: `chapters` are (title, [(heading, rich
    text)])."""
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    inner = WIDTH - 2 * MARGIN
    y = HEIGHT - MARGIN

    def line(text: str, size: float, gap: float = 1.5) -> None:
        nonlocal y
        for part in wrap(text, size, inner):
            if y < MARGIN + size:
                pdf.showPage()
                y = HEIGHT - MARGIN
            pdf.setFont(font, size)
            pdf.drawString(MARGIN, y - size, part)
            y -= size * gap

    line(title, 22)
    line(subtitle, 11)
    y -= 6 * mm
    for number, (chapter, sections) in enumerate(chapters, start=1):
        y -= 4 * mm
        line(f"{number}. {chapter}", 16)
        for index, (heading, body) in enumerate(sections, start=1):
            line(f"{number}.{index} {heading}", 12.5)
            line(plain(body), 11)
            y -= 2 * mm
    pdf.showPage()
    pdf.save()
    return out.getvalue()
