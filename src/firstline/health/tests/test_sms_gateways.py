"""The SMS gateways through their official SDKs, against a local HTTP server standing
in for the provider (the SDK pointed at it by FIRSTLINE_SMS_ENDPOINT, over http):
the request carries the purpose's template, the phone, the parameters and the SDK's
signature; the provider's error answers, and no answer at all, are recorded
failures that the page turns into a polite message."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from firstline.health.models import PhoneCode, SmsMessage
from firstline.health.services import otp, sms
from firstline.health.views.declare import site_token

PHONE_A = "13800000101"  # world.a.residents[0]
KEY_ID, KEY_SECRET = "LTAI-test-key", "test-secret-not-real"
TEMPLATES = {"otp": "SMS_1001", "check_reminder": "SMS_1002", "urgent_notice": "SMS_1003"}


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


@dataclass
class StandIn:
    """A provider's endpoint on 127.0.0.1: records each request, answers `answer`."""

    answer: dict = field(default_factory=dict)
    status: int = 200
    seen: list[Seen] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def stand_in():
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            state.seen.append(
                Seen(
                    "POST",
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
            )
            out = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def configure(settings, backend: str, endpoint: str, **extra) -> None:
    settings.FIRSTLINE_SMS_BACKEND = backend
    settings.FIRSTLINE_SMS_ENDPOINT = endpoint
    settings.FIRSTLINE_SMS_KEY_ID = KEY_ID
    settings.FIRSTLINE_SMS_KEY_SECRET = KEY_SECRET
    settings.FIRSTLINE_SMS_SIGN_NAME = "第一防线"
    settings.FIRSTLINE_SMS_APP_ID = "1400000001"
    settings.FIRSTLINE_SMS_REGION = ""
    settings.FIRSTLINE_SMS_TIMEOUT = 3
    settings.FIRSTLINE_SMS_TEMPLATES = dict(TEMPLATES)
    for name, value in extra.items():
        setattr(settings, f"FIRSTLINE_SMS_{name.upper()}", value)


def ask_code(client, site, phone=PHONE_A):
    return client.post(reverse("health:declare_start", args=[site_token(site)]), {"phone": phone})


def record() -> SmsMessage:
    return SmsMessage.all_tenants.get()


# --- Alibaba Cloud SMS ------------------------------------------------------------------------

ALIBABA_OK = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R1"}


def test_alibaba_sends_the_code_with_template_phone_params_and_signature(
    client, world, settings, stand_in
):
    configure(settings, "alibaba", stand_in.url)
    stand_in.answer = ALIBABA_OK

    response = ask_code(client, world.a.site)

    assert response.status_code == 200
    assert response.context["demo_code"] == ""  # a real gateway: the page never shows it
    [request] = stand_in.seen
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.query["PhoneNumbers"] == PHONE_A
    assert request.query["TemplateCode"] == "SMS_1001"
    assert request.query["SignName"] == "第一防线"
    params = json.loads(request.query["TemplateParam"])
    assert params["minutes"] == "5" and re.fullmatch(r"\d{6}", params["code"])
    authorization = request.headers["authorization"]
    assert authorization.startswith(f"ACS3-HMAC-SHA256 Credential={KEY_ID},")
    assert re.search(r"Signature=[0-9a-f]{64}$", authorization)
    assert KEY_SECRET not in json.dumps(request.headers) + json.dumps(request.query)
    # The code the provider was asked to send is the one that signs the resident in.
    residents = otp.verify_code(site=world.a.site, phone=PHONE_A, code=params["code"])
    assert [r.pk for r in residents] == [world.a.residents[0].pk]

    sent = record()
    assert (sent.provider, sent.status, sent.template) == ("alibaba", "sent", "SMS_1001")
    assert sent.provider_message_id == "900619746936498440^0"
    assert sent.phone_masked == "138****0101" and sent.purpose == "otp"


def test_alibaba_business_limit_is_a_recorded_failure_and_a_polite_message(
    client, world, settings, stand_in
):
    configure(settings, "alibaba", stand_in.url)
    stand_in.answer = {
        "Code": "isv.BUSINESS_LIMIT_CONTROL",
        "Message": "触发小时级流控Permits:5",
        "RequestId": "R2",
    }

    response = ask_code(client, world.a.site)

    assert response.status_code == 200
    assert "验证码短信暂时未能发出，请稍后再试" in str(response.context["form"].errors["phone"])
    failed = record()
    assert (failed.status, failed.error_code) == ("failed", "isv.BUSINESS_LIMIT_CONTROL")
    assert "流控" in failed.error and failed.provider_message_id == ""
    assert PhoneCode.objects.count() == 1  # it still counts against the limits


def test_alibaba_http_error_answer_is_a_recorded_failure(world, settings, stand_in):
    configure(settings, "alibaba", stand_in.url)
    stand_in.status = 400
    stand_in.answer = {
        "Code": "SignatureDoesNotMatch",
        "Message": "Specified signature is not matched with our calculation.",
        "RequestId": "R3",
    }
    sent = sms.send(
        company_id=world.a.company.pk,
        site_id=world.a.site.pk,
        phone=PHONE_A,
        purpose="otp",
        params={"code": "123456", "minutes": 5},
    )
    assert (sent.status, sent.error_code) == ("failed", "SignatureDoesNotMatch")


def test_alibaba_reminder_and_notice_use_their_templates(world, settings, stand_in):
    configure(settings, "alibaba", stand_in.url)
    stand_in.answer = ALIBABA_OK
    common = {"company_id": world.a.company.pk, "site_id": world.a.site.pk, "phone": PHONE_A}
    sms.send(purpose="check_reminder", params={"slot": "上午", "deadline": "12:00"}, **common)
    sms.send(
        purpose="urgent_notice", params={"site": "幸福小区", "title": "明日全员核酸"}, **common
    )
    reminder, notice = stand_in.seen
    assert reminder.query["TemplateCode"] == "SMS_1002"
    assert json.loads(reminder.query["TemplateParam"]) == {"slot": "上午", "deadline": "12:00"}
    assert notice.query["TemplateCode"] == "SMS_1003"
    assert json.loads(notice.query["TemplateParam"]) == {
        "site": "幸福小区",
        "title": "明日全员核酸",
    }
    assert sorted(SmsMessage.all_tenants.values_list("purpose", "status")) == [
        ("check_reminder", "sent"),
        ("urgent_notice", "sent"),
    ]


# --- Tencent Cloud SMS ------------------------------------------------------------------------

TENCENT_OK = {
    "Response": {
        "SendStatusSet": [
            {
                "SerialNo": "5000:1045710669157053657849499619",
                "PhoneNumber": f"+86{PHONE_A}",
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
        ],
        "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
    }
}


def tc3_signature(request: Seen, host: str) -> str:
    """Tencent Cloud API 3.0's TC3-HMAC-SHA256 over what the stand-in received."""
    timestamp = request.headers["x-tc-timestamp"]
    day = re.search(r"Credential=[^/]+/(\d{4}-\d{2}-\d{2})/", request.headers["authorization"])[1]
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{request.headers['content-type']}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            timestamp,
            f"{day}/sms/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + KEY_SECRET).encode(), day), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_tencent_sends_the_code_with_template_phone_params_and_signature(
    client, world, settings, stand_in
):
    configure(settings, "tencent", stand_in.url)
    stand_in.answer = TENCENT_OK

    response = ask_code(client, world.a.site)

    assert response.status_code == 200 and response.context["demo_code"] == ""
    [request] = stand_in.seen
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    body = json.loads(request.body)
    assert body["PhoneNumberSet"] == [f"+86{PHONE_A}"]
    assert body["TemplateId"] == "SMS_1001"
    assert body["SmsSdkAppId"] == "1400000001" and body["SignName"] == "第一防线"
    code, minutes = body["TemplateParamSet"]
    assert minutes == "5" and re.fullmatch(r"\d{6}", code)
    authorization = request.headers["authorization"]
    assert authorization.startswith(f"TC3-HMAC-SHA256 Credential={KEY_ID}/")
    signature = re.search(r"Signature=([0-9a-f]{64})$", authorization)[1]
    assert signature == tc3_signature(request, urlsplit(stand_in.url).netloc)
    assert [r.pk for r in otp.verify_code(site=world.a.site, phone=PHONE_A, code=code)] == [
        world.a.residents[0].pk
    ]

    sent = record()
    assert (sent.provider, sent.status, sent.template) == ("tencent", "sent", "SMS_1001")
    assert sent.provider_message_id == "5000:1045710669157053657849499619"


def test_tencent_limit_exceeded_is_a_recorded_failure_and_a_polite_message(
    client, world, settings, stand_in
):
    configure(settings, "tencent", stand_in.url)
    stand_in.answer = {
        "Response": {
            "Error": {
                "Code": "LimitExceeded.PhoneNumberDailyLimit",
                "Message": "单个手机号日下发短信条数超过设定的上限",
            },
            "RequestId": "b1",
        }
    }

    response = ask_code(client, world.a.site)

    assert response.status_code == 200
    assert "验证码短信暂时未能发出" in str(response.context["form"].errors["phone"])
    failed = record()
    assert (failed.provider, failed.status) == ("tencent", "failed")
    assert failed.error_code == "LimitExceeded.PhoneNumberDailyLimit"
    assert "日下发短信条数" in failed.error


def test_tencent_refusal_of_the_number_is_a_recorded_failure(world, settings, stand_in):
    configure(settings, "tencent", stand_in.url)
    status = {
        **TENCENT_OK["Response"]["SendStatusSet"][0],
        "SerialNo": "",
        "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
        "Message": "单个手机号30秒内下发短信条数超过设定的上限",
    }
    stand_in.answer = {"Response": {"SendStatusSet": [status], "RequestId": "c1"}}
    sent = sms.send(
        company_id=world.a.company.pk,
        site_id=world.a.site.pk,
        phone=PHONE_A,
        purpose="urgent_notice",
        params={"site": "幸福小区", "title": "停水通知"},
    )
    assert json.loads(stand_in.seen[0].body)["TemplateParamSet"] == ["幸福小区", "停水通知"]
    assert (sent.status, sent.error_code) == (
        "failed",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
    )


# --- whatever the provider ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["alibaba", "tencent"])
def test_a_gateway_that_does_not_answer_is_a_recorded_failure(client, world, settings, backend):
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_port
    closed.server_close()  # nothing listens there now
    configure(settings, backend, f"http://127.0.0.1:{port}", timeout=2)

    response = ask_code(client, world.a.site)

    assert response.status_code == 200
    assert "验证码短信暂时未能发出" in str(response.context["form"].errors["phone"])
    failed = record()
    assert failed.status == "failed" and failed.provider == backend and failed.error_code


@pytest.mark.parametrize("backend", ["alibaba", "tencent"])
def test_a_purpose_without_a_template_is_not_sent(world, settings, stand_in, backend):
    configure(settings, backend, stand_in.url, templates={"otp": "SMS_1001"})
    sent = sms.send(
        company_id=world.a.company.pk,
        site_id=world.a.site.pk,
        phone=PHONE_A,
        purpose="check_reminder",
        params={"slot": "下午", "deadline": "20:00"},
    )
    assert (sent.status, sent.error_code) == ("failed", "template_missing")
    assert stand_in.seen == []


@pytest.mark.parametrize("backend", ["alibaba", "tencent"])
def test_a_gateway_without_its_keys_is_a_configuration_error(settings, backend):
    configure(settings, backend, "", key_secret="")
    with pytest.raises(ImproperlyConfigured, match="FIRSTLINE_SMS_KEY_SECRET"):
        sms.backend()
