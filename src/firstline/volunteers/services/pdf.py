"""The certificate of service as a PDF: reportlab with its built-in CJK font
(STSong-Light, as publishing/services/pdf.py does: no font file ships), one A4
page with the volunteer's name, hours, dates, the verification code and a QR code
to the public verification page. A pure function: bytes out, nothing written."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from firstline.publishing.services.pdf import FONT, draw_qr, wrap

WIDTH, HEIGHT = A4
MARGIN = 25 * mm


def certificate_pdf(
    *,
    name: str,
    association: str,
    hours: float,
    first_day: str,
    last_day: str,
    sites: int,
    code: str,
    url: str,
    issued: str,
) -> bytes:
    wrap("", 12, 100)  # registers the CID font (publishing's helper)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"志愿服务证明 {code}")
    pdf.setFont(FONT, 30)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - 50 * mm, "志愿服务证明")
    pdf.setFont(FONT, 15)
    body = (
        f"兹证明 {name} 同志于 {first_day} 至 {last_day} 期间，"
        f"参加{association}组织的疫情防控志愿服务，"
        f"在 {sites} 个服务点累计服务 {hours} 小时。\n特此证明。"
    )
    y = HEIGHT - 80 * mm
    for line in wrap(body, 15, WIDTH - 2 * MARGIN):
        pdf.drawString(MARGIN, y, line)
        y -= 10 * mm
    pdf.setFont(FONT, 13)
    pdf.drawRightString(WIDTH - MARGIN, y - 15 * mm, association)
    pdf.drawRightString(WIDTH - MARGIN, y - 25 * mm, issued)
    size = 35 * mm
    draw_qr(pdf, url, MARGIN, 30 * mm, size)
    pdf.setFont(FONT, 11)
    pdf.drawString(MARGIN + size + 6 * mm, 30 * mm + size - 8 * mm, f"验证码：{code}")
    for i, line in enumerate(
        wrap(f"扫码或访问 {url} 核验", 10, WIDTH - 2 * MARGIN - size - 6 * mm)
    ):
        pdf.drawString(MARGIN + size + 6 * mm, 30 * mm + size - 18 * mm - i * 5 * mm, line)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
