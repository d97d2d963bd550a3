"""The completion certificate as a PDF (reportlab with its built-in CJK font, as
volunteers' certificate does) with a QR code to the public verification page, and
the public verification itself (a name shown masked, the course, the date)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from firstline.core.personal.masking import mask_name
from firstline.publishing.services.pdf import FONT, draw_qr, wrap
from firstline.training.models import Certificate

WIDTH, HEIGHT = A4
MARGIN = 25 * mm


def certificate_pdf(
    *, name: str, course: str, association: str, code: str, url: str, issued: str
) -> bytes:
    wrap("", 12, 100)  # registers the CID font (publishing's helper)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"结业证书 {code}")
    pdf.setFont(FONT, 30)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - 50 * mm, "结业证书")
    pdf.setFont(FONT, 15)
    body = f"兹证明 {name} 已完成{association}“{course}”课程的全部学习并通过测验，准予结业。"
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


@dataclass(frozen=True)
class Verified:
    valid: bool
    name: str = ""
    course: str = ""
    issued: str = ""


def certificate_verify(code: str) -> Verified:
    """Public, by design: a certificate found by its code across companies, shown
    with the holder's name masked."""
    code = (code or "").strip().upper()[:16]
    cert = (
        Certificate.all_tenants.filter(code=code)
        .select_related("enrolment__staff", "enrolment__course")
        .first()
        if code
        else None
    )
    if cert is None:
        return Verified(False)
    return Verified(
        cert.revoked_at is None,
        mask_name(cert.enrolment.staff.name),
        cert.enrolment.course.title,
        timezone.localtime(cert.issued_at).strftime("%Y-%m-%d"),
    )
