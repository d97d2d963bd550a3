"""The Content-Security-Policy has no 'unsafe-inline' (settings.SECURE_CSP), so the
templates must not need it: no style="…" attributes (sizes are classes in app.css),
no inline event handlers, and every inline <script> or <style> carries the request's
nonce. Checked on every template, including pages no test renders; the headers
themselves are checked on real responses in orgs/tests/test_security.py."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

SRC = Path(__file__).resolve().parents[2] / "src" / "firstline"

STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=\s*["']""", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>", re.I)
DATA_SCRIPT = re.compile(r"""type\s*=\s*["']application/(?:ld\+)?json["']""", re.I)
NONCE = re.compile(r"""nonce\s*=\s*["']\{\{\s*csp_nonce\s*\}\}["']""")


def templates() -> list[Path]:
    found = sorted(SRC.rglob("templates/**/*.html"))
    assert len(found) > 100, "the walk must find the templates"
    return found


def offences(pattern: re.Pattern, allowed=lambda tag: False) -> list[str]:
    out = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            if not allowed(match.group(0)):
                line = text.count("\n", 0, match.start()) + 1
                out.append(f"{path.relative_to(SRC)}:{line}: {match.group(0)[:80]}")
    return out


def test_the_policy_has_no_unsafe_inline():
    values = [v for vs in settings.SECURE_CSP.values() for v in vs]
    assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values
    assert settings.SECURE_CSP["frame-ancestors"] == ["'none'"]


def test_no_style_attributes():
    assert offences(STYLE_ATTRIBUTE) == [], "use a class in core/static/firstline/app.css"


def test_no_inline_event_handlers():
    assert offences(EVENT_HANDLER) == [], "bind events in a script file (app.js)"


def test_inline_scripts_and_style_blocks_carry_the_nonce():
    def fine(tag: str) -> bool:
        return bool(NONCE.search(tag) or DATA_SCRIPT.search(tag))

    assert offences(INLINE_SCRIPT, fine) == []
    assert offences(STYLE_BLOCK, fine) == []
