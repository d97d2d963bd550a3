"""Sending text messages: the one-time sign-in codes of the resident's declaration,
isolation-check reminders and urgent notices.

`send()` is the one way out. It picks the purpose's template, asks the configured
backend to deliver, and records every message in `SmsMessage` (masked phone,
purpose, provider, template, status, the provider's message id or its error). A
provider's refusal (Alibaba `isv.BUSINESS_LIMIT_CONTROL`, Tencent
`LimitExceeded.*`), a missing template or a gateway that does not answer is a
recorded failure, never an exception: the caller reads the record's status.

settings.FIRSTLINE_SMS_BACKEND chooses the backend: "console" (the default: sends
nothing, logs the message with the phone masked and keeps the last code per phone so
the demo page can show it; a demo backend by nature, see `shows_codes`), "alibaba"
(Alibaba Cloud SMS, SendSms of dysmsapi 2017-05-25) or "tencent" (Tencent Cloud SMS,
SendSms of sms 2021-01-11), both through the provider's official Python SDK, or the
dotted path of an `SmsBackend` subclass. Keys, the approved signature name, the
region, Tencent's SmsSdkAppId and the template of each purpose come from the
environment (README, "Configuration"); FIRSTLINE_SMS_ENDPOINT points the SDK at
another host, e.g. `http://127.0.0.1:8080` in the tests.

A template's variables are the purpose's `PARAMETERS`, by name for Alibaba
(`${code}`, `${minutes}`) and in that order for Tencent (`{1}`, `{2}`).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from firstline.core.personal.masking import mask_phone
from firstline.health.models import SmsMessage

logger = logging.getLogger("firstline.sms")

Purpose = SmsMessage.Purpose

# Each purpose's template variables, in the order Tencent's templates number them.
PARAMETERS: dict[str, tuple[str, ...]] = {
    Purpose.OTP: ("code", "minutes"),
    Purpose.CHECK_REMINDER: ("slot", "deadline"),
    Purpose.URGENT_NOTICE: ("site", "title"),
}
# What the message says (the console backend's log; the provider's template says the same).
TEXTS: dict[str, str] = {
    Purpose.OTP: "验证码：{code}，{minutes} 分钟内有效，请勿告诉他人。",
    Purpose.CHECK_REMINDER: "您今天{slot}的隔离体温检测尚未上报，请于 {deadline} 前上报。",
    Purpose.URGENT_NOTICE: "{site}紧急通知：{title}，请及时查看。",
}


@dataclass(frozen=True)
class Outgoing:
    """One message to one mainland mobile number (11 digits, normalised)."""

    phone: str
    purpose: str
    params: dict[str, str]
    text: str


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    message_id: str = ""
    error_code: str = ""
    error: str = ""
    template: str = ""


class SmsBackend:
    """Deliver one message and say what the gateway answered. A subclass implements
    `deliver`, or the older `send` (which raises on failure)."""

    name = "custom"
    # True when the backend does not really deliver, so the page may show the code.
    demo = False
    templates: dict[str, str] = {}  # purpose → the provider's template code or id

    def deliver(self, sms: Outgoing) -> SmsResult:
        self.send(sms.phone, sms.text, code=sms.params.get("code", ""))
        return SmsResult(ok=True)

    def send(self, phone: str, message: str, *, code: str = "") -> None:
        raise NotImplementedError

    def last_code(self, phone: str) -> str:
        """The last code sent to `phone`, for demo backends only."""
        return ""


class ConsoleBackend(SmsBackend):
    """Logs each message (logger "firstline.sms") and remembers the last code per
    phone in this process. The page that requested the code reads it in the same
    request, so several server processes do not matter."""

    name = "console"
    demo = True

    def __init__(self):
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()

    def deliver(self, sms: Outgoing) -> SmsResult:
        # The log shows the masked phone: the log file is not a place for personal data.
        logger.info("SMS to %s (%s): %s", mask_phone(sms.phone), sms.purpose, sms.text)
        if code := sms.params.get("code"):
            with self._lock:
                self._codes[sms.phone] = code
        return SmsResult(ok=True)

    def last_code(self, phone: str) -> str:
        with self._lock:
            return self._codes.get(phone, "")


def _endpoint(default_host: str) -> tuple[str, str]:
    """(protocol, host) of FIRSTLINE_SMS_ENDPOINT: a bare host is https."""
    value = settings.FIRSTLINE_SMS_ENDPOINT.strip() or default_host
    if "://" in value:
        parts = urlsplit(value)
        return parts.scheme, parts.netloc
    return "https", value


def _required(**values: str) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ImproperlyConfigured(
            f"FIRSTLINE_SMS_BACKEND={settings.FIRSTLINE_SMS_BACKEND!r} needs "
            + ", ".join(f"FIRSTLINE_SMS_{name.upper()}" for name in missing)
        )


class ProviderBackend(SmsBackend):
    """A cloud gateway: the keys, the signature and the purposes' templates from settings."""

    def __init__(self):
        self.templates = dict(settings.FIRSTLINE_SMS_TEMPLATES)
        self.key_id = settings.FIRSTLINE_SMS_KEY_ID
        self.key_secret = settings.FIRSTLINE_SMS_KEY_SECRET
        self.sign_name = settings.FIRSTLINE_SMS_SIGN_NAME
        self.timeout = settings.FIRSTLINE_SMS_TIMEOUT
        _required(key_id=self.key_id, key_secret=self.key_secret, sign_name=self.sign_name)

    def deliver(self, sms: Outgoing) -> SmsResult:
        template = self.templates.get(sms.purpose, "")
        if not template:
            return SmsResult(
                ok=False,
                error_code="template_missing",
                error=f"FIRSTLINE_SMS_TEMPLATES has no template for {sms.purpose}",
            )
        return self.call(sms, template)

    def call(self, sms: Outgoing, template: str) -> SmsResult:
        raise NotImplementedError


class AlibabaBackend(ProviderBackend):
    """Alibaba Cloud SMS (阿里云短信服务) through alibabacloud-dysmsapi20170525: SendSms,
    signed by the SDK (ACS3-HMAC-SHA256 in the Authorization header). HTTP 200 with
    Code "OK" is sent (BizId is the message id); any other Code is the refusal."""

    name = "alibaba"

    def __init__(self):
        super().__init__()
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi

        protocol, host = _endpoint("dysmsapi.aliyuncs.com")
        self.client = Client(
            openapi.Config(
                access_key_id=self.key_id,
                access_key_secret=self.key_secret,
                endpoint=host,
                protocol=protocol,
                region_id=settings.FIRSTLINE_SMS_REGION or "cn-hangzhou",
            )
        )

    def call(self, sms: Outgoing, template: str) -> SmsResult:
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_tea_util.models import RuntimeOptions

        request = models.SendSmsRequest(
            phone_numbers=sms.phone,
            sign_name=self.sign_name,
            template_code=template,
            template_param=json.dumps(sms.params, ensure_ascii=False),
        )
        runtime = RuntimeOptions(
            autoretry=False,
            connect_timeout=self.timeout * 1000,
            read_timeout=self.timeout * 1000,
        )
        body = self.client.send_sms_with_options(request, runtime).body
        if body.code == "OK":
            return SmsResult(ok=True, message_id=body.biz_id or "", template=template)
        return SmsResult(
            ok=False, error_code=body.code or "", error=body.message or "", template=template
        )


class TencentBackend(ProviderBackend):
    """Tencent Cloud SMS (腾讯云短信) through tencentcloud-sdk-python-sms: SendSms of
    2021-01-11, signed by the SDK (TC3-HMAC-SHA256). An error answer
    (Response.Error, e.g. LimitExceeded.PhoneNumberDailyLimit) comes as the SDK's
    exception; a per-number refusal as a SendStatus whose Code is not "Ok"."""

    name = "tencent"

    def __init__(self):
        super().__init__()
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        self.app_id = settings.FIRSTLINE_SMS_APP_ID
        _required(app_id=self.app_id)
        protocol, host = _endpoint("sms.tencentcloudapi.com")
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol=protocol, endpoint=host, reqTimeout=self.timeout)
        )
        self.client = sms_client.SmsClient(
            credential.Credential(self.key_id, self.key_secret),
            settings.FIRSTLINE_SMS_REGION or "ap-guangzhou",
            profile,
        )

    def call(self, sms: Outgoing, template: str) -> SmsResult:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{sms.phone}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template
        request.TemplateParamSet = [sms.params[name] for name in PARAMETERS[sms.purpose]]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            return SmsResult(
                ok=False,
                error_code=exc.get_code() or "",
                error=exc.get_message() or "",
                template=template,
            )
        [status] = response.SendStatusSet or [None]
        if status is not None and status.Code == "Ok":
            return SmsResult(ok=True, message_id=status.SerialNo or "", template=template)
        return SmsResult(
            ok=False,
            error_code=status.Code if status is not None else "no_status",
            error=status.Message if status is not None else "",
            template=template,
        )


BACKENDS = {
    "console": "firstline.health.services.sms.ConsoleBackend",
    "alibaba": "firstline.health.services.sms.AlibabaBackend",
    "tencent": "firstline.health.services.sms.TencentBackend",
}


@cache
def _backend_for(path: str, config: tuple) -> SmsBackend:
    path = BACKENDS.get(path, path)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"FIRSTLINE_SMS_BACKEND: cannot import {path!r}.") from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsBackend)):
        raise ImproperlyConfigured(f"FIRSTLINE_SMS_BACKEND: {path!r} is not an SmsBackend.")
    return cls()


def backend() -> SmsBackend:
    """The configured backend; one instance per process and configuration (the console
    one keeps state)."""
    config = (
        settings.FIRSTLINE_SMS_KEY_ID,
        settings.FIRSTLINE_SMS_KEY_SECRET,
        settings.FIRSTLINE_SMS_SIGN_NAME,
        settings.FIRSTLINE_SMS_APP_ID,
        settings.FIRSTLINE_SMS_REGION,
        settings.FIRSTLINE_SMS_ENDPOINT,
        settings.FIRSTLINE_SMS_TIMEOUT,
        tuple(sorted(settings.FIRSTLINE_SMS_TEMPLATES.items())),
    )
    return _backend_for(settings.FIRSTLINE_SMS_BACKEND, config)


def shows_codes() -> bool:
    """Whether a page may display the code it just sent: only with a backend that
    does not deliver, and only where that is meant (DEBUG, or `./firstline demo`,
    which sets FIRSTLINE_SMS_SHOW_CODES). `serve` with the console backend shows
    nothing: the code is only in the server's log, so signing in needs the log."""
    return bool(backend().demo and (settings.DEBUG or settings.FIRSTLINE_SMS_SHOW_CODES))


def send(*, company_id: int, site_id: int, phone: str, purpose: str, params: dict) -> SmsMessage:
    """Send the purpose's message to `phone` (normalised) and record it. Never raises
    for the gateway: a refusal or no answer is a FAILED record with the error."""
    names = PARAMETERS[purpose]
    values = {name: str(params[name]) for name in names}
    sms = Outgoing(
        phone=phone, purpose=purpose, params=values, text=TEXTS[purpose].format(**values)
    )
    gateway = backend()
    try:
        result = gateway.deliver(sms)
    except Exception as exc:  # no answer, a TLS error, an HTTP error the SDK raised
        code = getattr(exc, "code", "") or type(exc).__name__
        result = SmsResult(ok=False, error_code=str(code), error=str(exc))
    if not result.ok:
        logger.warning(
            "SMS to %s (%s) failed: %s %s",
            mask_phone(phone),
            purpose,
            result.error_code,
            result.error,
        )
    return SmsMessage.objects.create(
        company_id=company_id,
        site_id=site_id,
        phone_masked=mask_phone(phone),
        purpose=purpose,
        provider=gateway.name,
        template=(result.template or gateway.templates.get(purpose, ""))[:64],
        status=SmsMessage.Status.SENT if result.ok else SmsMessage.Status.FAILED,
        provider_message_id=result.message_id[:128],
        error_code=result.error_code[:64],
        error=result.error[:300],
    )
