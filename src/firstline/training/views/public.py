"""The public verification of a certificate: no login, the holder's name masked."""

from __future__ import annotations

from django.shortcuts import render

from firstline.training.services.certificates import certificate_verify


def verify(request, code: str):
    return render(
        request, "training/verify.html", {"result": certificate_verify(code), "code": code[:16]}
    )
