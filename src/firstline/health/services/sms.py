"""Sending text messages (the one-time sign-in codes of the resident's declaration).

settings.FIRSTLINE_SMS_BACKEND names the class; a deployment plugs in its SMS
gateway by subclassing `SmsBackend`. The default `ConsoleBackend` sends nothing:
it logs the message and keeps the last code per phone so the demo page can show
it. Because it sends nothing, it is a demo backend by nature (`demo = True`); the
page shows its codes only in the demo (see `shows_codes`), and production
configures a real gateway.
"""

from __future__ import annotations

import logging
import threading
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from firstline.core.personal.masking import mask_phone

logger = logging.getLogger("firstline.sms")


class SmsBackend:
    """Send one message to one mainland mobile number. Raise on failure."""

    # True when the backend does not really deliver, so the page may show the code.
    demo = False

    def send(self, phone: str, message: str, *, code: str = "") -> None:
        raise NotImplementedError

    def last_code(self, phone: str) -> str:
        """The last code sent to `phone`, for demo backends only."""
        return ""


class ConsoleBackend(SmsBackend):
    """Logs each message (logger "firstline.sms") and remembers the last code per
    phone in this process. The page that requested the code reads it in the same
    request, so several server processes do not matter."""

    demo = True

    def __init__(self):
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, phone: str, message: str, *, code: str = "") -> None:
        # The log shows the masked phone: the log file is not a place for personal data.
        logger.info("SMS to %s: %s", mask_phone(phone), message)
        if code:
            with self._lock:
                self._codes[phone] = code

    def last_code(self, phone: str) -> str:
        with self._lock:
            return self._codes.get(phone, "")


@cache
def _backend_for(path: str) -> SmsBackend:
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"FIRSTLINE_SMS_BACKEND: cannot import {path!r}.") from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsBackend)):
        raise ImproperlyConfigured(f"FIRSTLINE_SMS_BACKEND: {path!r} is not an SmsBackend.")
    return cls()


def backend() -> SmsBackend:
    """The configured backend; one instance per process (the console one keeps state)."""
    return _backend_for(settings.FIRSTLINE_SMS_BACKEND)


def shows_codes() -> bool:
    """Whether a page may display the code it just sent: only with a backend that
    does not deliver, and only where that is meant (DEBUG, or `./firstline demo`,
    which sets FIRSTLINE_SMS_SHOW_CODES). `serve` with the console backend shows
    nothing: the code is only in the server's log, so signing in needs the log."""
    return bool(backend().demo and (settings.DEBUG or settings.FIRSTLINE_SMS_SHOW_CODES))
