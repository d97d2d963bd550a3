"""The resident's own declaration on a phone: the signed link, the one-time code
(wrong, right, expired, rate-limited per phone and per address, too many
attempts, every message recorded), the 30-minute sign-in
for one site, consent, the declaration and its result; and a signed-in resident
declaring for the household."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from firstline.core.personal.fields import set_personal
from firstline.estates.models import Resident
from firstline.health.models import Consent, Declaration, PhoneCode, SmsMessage, WorkItem
from firstline.health.services import otp
from firstline.health.services.sms import SmsBackend
from firstline.health.tests.helpers import high_risk_list, login
from firstline.health.views.declare import site_token
from firstline.testing.world import make_id_number, make_resident

PHONE_A = "13800000101"  # world.a.residents[0]


@pytest.fixture
def high_risk(world):
    return high_risk_list()


def url(name: str, site) -> str:
    return reverse(f"health:{name}", args=[site_token(site)])


def ask_code(client, site, phone=PHONE_A):
    return client.post(url("declare_start", site), {"phone": phone})


def sign_in(client, site, phone=PHONE_A):
    response = ask_code(client, site, phone)
    assert response.status_code == 200, response.content.decode()[:500]
    code = response.context["demo_code"]
    assert len(code) == 6
    response = client.post(url("declare_verify", site), {"phone": phone, "code": code})
    if response.status_code == 302:
        client.get(url("declare_who", site))  # one resident: chosen at once
    return response


def declaration_data(**extra) -> dict:
    data = {
        "places-TOTAL_FORMS": "5",
        "places-INITIAL_FORMS": "0",
        "places-MIN_NUM_FORMS": "0",
        "places-MAX_NUM_FORMS": "20",
        "temperature": "36.6",
        "transport": "G1234",
    }
    data.update(extra)
    return data


def visited_jianghan(days_ago: int = 3) -> dict:
    return {
        "places-0-place_name": "武汉市江汉区",
        "places-0-visited_on": (timezone.localdate() - timedelta(days=days_ago)).isoformat(),
        "places-0-division_code": "420103",
    }


# --- the signed link ------------------------------------------------------------------------


def test_link_opens_and_tampered_token_is_404(client, world):
    token = site_token(world.a.site)
    assert client.get(reverse("health:declare_start", args=[token])).status_code == 200
    value, _sep, signature = token.rpartition(":")
    forged = f"{world.b.company.pk}.{world.b.site.pk}:{signature}"
    for bad in (token[:-2] + "xx", forged, "nonsense", value):
        assert client.get(reverse("health:declare_start", args=[bad])).status_code == 404
        assert (
            client.post(
                reverse("health:declare_verify", args=[bad]), {"phone": PHONE_A, "code": "123456"}
            ).status_code
            == 404
        )


def test_link_of_a_deleted_site_is_404(client, world):
    token = site_token(world.a.site)
    world.a.site.delete()
    assert client.get(reverse("health:declare_start", args=[token])).status_code == 404


# --- the whole flow -------------------------------------------------------------------------


def test_resident_declares_high_risk_visit_and_sees_red_with_reason(client, world, high_risk):
    site = world.a.site
    response = ask_code(client, site)
    assert response.status_code == 200
    assert "演示环境不发送短信" in response.content.decode()
    code = response.context["demo_code"]
    # A stored code is a keyed hash beside the phone's HMAC: neither the code nor the phone.
    row = PhoneCode.objects.get()
    assert code not in row.code_hash and PHONE_A not in row.phone_hmac

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(url("declare_verify", site), {"phone": PHONE_A, "code": wrong})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()

    response = client.post(url("declare_verify", site), {"phone": PHONE_A, "code": code})
    assert response.status_code == 302 and response["Location"] == url("declare_who", site)
    # One resident on this phone: straight on to the consent.
    response = client.get(url("declare_who", site))
    assert response["Location"] == url("declare_consent", site)

    # The consent is its own step: refusing records nothing and goes no further.
    response = client.get(url("declare_form", site))
    assert response["Location"] == url("declare_consent", site)
    response = client.post(url("declare_consent", site), {})
    assert response.status_code == 200 and "须同意健康信息处理告知" in response.content.decode()
    assert not Consent.all_tenants.exists()
    response = client.post(url("declare_consent", site), {"agree": "on"})
    assert response["Location"] == url("declare_form", site)
    consent = Consent.all_tenants.get()
    assert (consent.channel, consent.resident_id) == ("self", world.a.residents[0].pk)

    # Bad input: the fields are named and nothing is saved.
    bad = declaration_data(
        temperature="45",
        **{"places-0-place_name": "武汉市江汉区", "places-0-visited_on": ""},
    )
    response = client.post(url("declare_form", site), bad)
    assert response.status_code == 400
    assert response.context["form"].errors["temperature"]
    assert response.context["places"].forms[0].errors["visited_on"]
    assert not Declaration.all_tenants.exists()

    response = client.post(url("declare_form", site), declaration_data(**visited_jianghan()))
    assert response.status_code == 302 and response["Location"] == url("declare_result", site)
    declaration = Declaration.all_tenants.get()
    assert (declaration.status, declaration.channel) == ("red", "self")
    assert declaration.consent_id == consent.pk

    response = client.get(url("declare_result", site))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="red"' in page
    assert "到访 武汉市江汉区（高风险）" in page
    assert WorkItem.all_tenants.get(resident=world.a.residents[0]).level == "red"


def test_wrong_site_link_does_not_carry_the_sign_in(client, world):
    sign_in(client, world.a.site)
    client.post(url("declare_consent", world.a.site), {"agree": "on"})
    # Same browser, company b's site link: not signed in there.
    other = world.b.site
    response = client.get(url("declare_form", other))
    assert response.status_code == 302 and response["Location"] == url("declare_start", other)


def test_sign_in_lasts_thirty_minutes(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, world.a.site)
        clock.shift(timedelta(minutes=29))
        assert client.get(url("declare_consent", world.a.site)).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.get(url("declare_consent", world.a.site))
        assert response.status_code == 302
        assert response["Location"] == url("declare_start", world.a.site)


def test_sign_out_ends_it(client, world):
    sign_in(client, world.a.site)
    client.post(url("declare_signout", world.a.site))
    assert client.get(url("declare_consent", world.a.site)).status_code == 302


def test_several_residents_on_one_phone_choose_who(client, world):
    # Both of household a's residents registered with the same phone.
    other = world.a.residents[1]
    set_personal(other, "phone", PHONE_A)
    other.save()
    sign_in(client, world.a.site)
    response = client.get(url("declare_who", world.a.site))
    assert response.status_code == 200
    assert {r.pk for r in response.context["residents"]} == {r.pk for r in world.a.residents}
    # A resident id not among those verified is refused.
    response = client.post(url("declare_who", world.a.site), {"resident": world.b.residents[0].pk})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(url("declare_who", world.a.site), {"resident": other.pk})
    assert response["Location"] == url("declare_consent", world.a.site)
    response = client.get(url("declare_consent", world.a.site))
    assert response.context["resident"].pk == other.pk


def test_phone_of_another_site_finds_no_resident(client, world):
    # b's resident's phone at a's site: a code is sent (no telling who lives where) but
    # after it is verified nobody is signed in.
    response = sign_in(client, world.a.site, phone="13900000202")
    assert response.status_code == 400
    assert "本项目没有用该手机号登记的居民" in response.content.decode()
    assert client.get(url("declare_consent", world.a.site)).status_code == 302


def test_bad_phone_is_named(client, world):
    response = ask_code(client, world.a.site, phone="12345")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not PhoneCode.objects.exists()


# --- the code: expiry, limits, attempts -------------------------------------------------------


def test_code_expires_after_five_minutes(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        code = ask_code(client, world.a.site).context["demo_code"]
        clock.shift(timedelta(minutes=5, seconds=1))
        response = client.post(
            url("declare_verify", world.a.site), {"phone": PHONE_A, "code": code}
        )
        assert response.status_code == 400
        assert "验证码已失效" in response.content.decode()


def test_code_is_good_once(world):
    site = world.a.site
    code = otp.request_code(site=site, phone=PHONE_A)
    assert [r.pk for r in otp.verify_code(site=site, phone=PHONE_A, code=code)] == [
        world.a.residents[0].pk
    ]
    with pytest.raises(Exception, match="验证码已失效"):
        otp.verify_code(site=site, phone=PHONE_A, code=code)


def test_code_of_one_site_does_not_open_another(world):
    code = otp.request_code(site=world.a.site, phone=PHONE_A)
    with pytest.raises(Exception, match="验证码已失效"):
        otp.verify_code(site=world.b.site, phone=PHONE_A, code=code)


def test_five_wrong_attempts_burn_the_code(world):
    site = world.a.site
    code = otp.request_code(site=site, phone=PHONE_A)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(Exception, match=f"还可尝试 {left} 次"):
            otp.verify_code(site=site, phone=PHONE_A, code=wrong)
    with pytest.raises(Exception, match="错误次数过多"):
        otp.verify_code(site=site, phone=PHONE_A, code=wrong)
    with pytest.raises(Exception, match="错误次数过多"):
        otp.verify_code(site=site, phone=PHONE_A, code=code)


def phone_error(response) -> str:
    return str(response.context["form"].errors["phone"])


def test_rate_limit_per_phone_one_a_minute_ten_a_day(client, world):
    site = world.a.site
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert ask_code(client, site).context["demo_code"]
        response = ask_code(client, site)
        assert "验证码已发送，请 61 秒后再重新获取" in phone_error(response)
        assert PhoneCode.objects.count() == 1
        for n in range(9):  # from a different address each time: the phone's own limit
            clock.shift(timedelta(seconds=61))
            response = client.post(
                url("declare_start", site), {"phone": PHONE_A}, REMOTE_ADDR=f"10.0.0.{n}"
            )
            assert response.context["demo_code"]
        clock.shift(timedelta(seconds=61))
        response = ask_code(client, site)
        assert "该手机号今天获取验证码的次数已达上限（10 次），请明天再试" in phone_error(response)
        assert PhoneCode.objects.count() == 10
        clock.shift(timedelta(days=1))
        assert ask_code(client, site).context["demo_code"]
        # The same phone formatted differently is the same phone for the limits.
        response = client.post(
            url("declare_start", site), {"phone": "+86 138-0000-0101"}, REMOTE_ADDR="10.9.9.9"
        )
        assert "秒后再重新获取" in phone_error(response)


def test_rate_limit_per_address_one_a_minute_ten_a_day(client, world, settings):
    site = world.a.site
    phones = [f"139{n:08d}" for n in range(12)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert ask_code(client, site, phones[0]).context["demo_code"]
        response = ask_code(client, site, phones[1])  # another phone, the same address
        assert "当前网络获取验证码较频繁，请 61 秒后再试" in phone_error(response)
        other = client.post(
            url("declare_start", site), {"phone": phones[1]}, REMOTE_ADDR="10.1.1.1"
        )
        assert other.context["demo_code"]  # another address is not held
        for phone in phones[2:11]:  # ten from this address in all
            clock.shift(timedelta(seconds=61))
            assert ask_code(client, site, phone).context["demo_code"]
        clock.shift(timedelta(seconds=61))
        response = ask_code(client, site, phones[11])
        assert "当前网络今天获取验证码的次数已达上限" in phone_error(response)
        # The limits are settings.
        settings.FIRSTLINE_SMS_OTP_IP_PER_DAY = 20
        assert ask_code(client, site, phones[11]).context["demo_code"]


def test_every_code_sent_is_recorded_with_the_phone_masked(client, world):
    ask_code(client, world.a.site)
    [record] = SmsMessage.all_tenants.all()
    assert record.phone_masked == "138****0101" and PHONE_A not in str(record.__dict__)
    assert (record.purpose, record.provider, record.status) == ("otp", "console", "sent")
    assert (record.company_id, record.site_id) == (world.a.company.pk, world.a.site.pk)


# --- a signed-in resident ---------------------------------------------------------------------


def test_resident_user_declares_for_a_household_member(client, world, high_risk):
    login(client, world.a.users["resident"])
    response = client.get(reverse("health:declare_mine"))
    assert response.status_code == 200
    assert {r.pk for r in response.context["object_list"]} == {r.pk for r in world.a.residents}

    member = world.a.residents[1]
    form_url = reverse("health:declare_mine_form", args=[member.pk])
    assert client.get(form_url).status_code == 200
    # Without the consent ticked: an error on it, nothing saved.
    response = client.post(form_url, declaration_data(**visited_jianghan()))
    assert response.status_code == 400
    assert response.context["consent_form"].errors["agree"]
    assert not Declaration.all_tenants.exists() and not Consent.all_tenants.exists()
    # Places out of the window are the engine's error: shown, and no consent is left behind.
    response = client.post(
        form_url, declaration_data(**{"consent-agree": "on", **visited_jianghan(days_ago=20)})
    )
    assert response.status_code == 400
    assert "14 天" in " ".join(response.context["form"].non_field_errors())
    assert not Declaration.all_tenants.exists() and not Consent.all_tenants.exists()

    response = client.post(
        form_url, declaration_data(**{"consent-agree": "on", **visited_jianghan()})
    )
    declaration = Declaration.all_tenants.get()
    assert response["Location"] == reverse("health:declare_mine_result", args=[declaration.pk])
    assert declaration.resident_id == member.pk and declaration.status == "red"
    assert Consent.all_tenants.get().channel == "self"
    page = client.get(response["Location"]).content.decode()
    assert "武汉市江汉区" in page


def test_resident_user_cannot_declare_for_another_household(client, world):
    household = world.a.household
    stranger = make_resident(
        household=type(household).all_tenants.create(
            company=household.company,
            site=household.site,
            building=household.building,
            unit="1",
            room="302",
        ),
        name="邻居",
        phone="13700000001",
        id_number=make_id_number(77),
    )
    login(client, world.a.users["resident"])
    for target in (stranger, world.b.residents[0]):
        url_ = reverse("health:declare_mine_form", args=[target.pk])
        assert client.get(url_).status_code == 404
        assert client.post(url_, declaration_data(**{"consent-agree": "on"})).status_code == 404
    assert not Declaration.all_tenants.exists()
    assert Resident.all_tenants.filter(pk=stranger.pk).exists()


def test_demo_code_hidden_with_a_real_backend(client, world, settings):
    from firstline.health.services import sms

    settings.DEBUG = False
    settings.FIRSTLINE_SMS_BACKEND = "firstline.health.tests.test_declare_self.SilentBackend"
    response = ask_code(client, world.a.site)
    assert response.status_code == 200
    assert response.context["demo_code"] == ""
    assert sms.backend().sent[-1][0] == PHONE_A
    assert 'data-testid="demo-code"' not in response.content.decode()


def test_console_code_hidden_outside_the_demo(client, world, settings):
    """`serve` keeps the console backend unless configured: the code is then only in
    the server log, never on the page."""
    settings.DEBUG = False
    settings.FIRSTLINE_SMS_SHOW_CODES = False
    response = ask_code(client, world.a.site)
    assert response.status_code == 200
    assert response.context["demo_code"] == ""
    assert 'data-testid="demo-code"' not in response.content.decode()


class SilentBackend(SmsBackend):
    """A gateway stand-in that delivers (so the page must not show the code)."""

    def __init__(self):
        self.sent = []

    def send(self, phone, message, *, code=""):
        self.sent.append((phone, message))
