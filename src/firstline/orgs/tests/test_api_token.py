"""Personal API tokens: obtained with username and password (and the TOTP code when
on), stored hashed, sent as a Bearer header, listed and revoked on the account page."""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pyotp
import pytest
import time_machine
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.geo.models import Division
from firstline.orgs.middleware import SESSION_VERIFIED
from firstline.orgs.models import ApiToken, AuditAction, Company, RoleAssignment
from firstline.orgs.services.accounts import api_token_create, totp_begin_setup, totp_confirm
from firstline.orgs.validators import credit_code_check_char

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/auth/me"
PASSWORD = "Kq7-rain-over-the-river"
INVALID = {"detail": "invalid credentials"}
NOW = datetime(2026, 3, 2, 9, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def lockout_policy(settings):
    settings.FIRSTLINE_LOCKOUT_ATTEMPTS = 5
    settings.FIRSTLINE_LOCKOUT_MINUTES = 15
    settings.FIRSTLINE_REQUIRE_2FA = False


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def company():
    province = Division.objects.create(code="42", name="湖北省", level=1)
    city = Division.objects.create(code="4201", name="武汉市", level=2, parent=province)
    district = Division.objects.create(code="420106", name="武昌区", level=3, parent=city)
    first17 = "91420106MA4K00010"
    return Company.objects.create(
        name="武汉江城物业服务有限公司",
        credit_code=first17 + credit_code_check_char(first17),
        division=district,
    )


@pytest.fixture
def user(django_user_model, company):
    user = django_user_model.objects.create_user(
        username="lina", password=PASSWORD, display_name="李娜"
    )
    RoleAssignment.objects.create(user=user, role="company_admin", company=company)
    RoleAssignment.objects.create(user=user, role="health_officer", company=company)
    return user


def obtain(client, **body):
    return client.post(TOKEN_URL, body, content_type="application/json")


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def verified_session(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED] = True
    session.save()


# --- obtaining and using a token ----------------------------------------------------


def test_token_for_username_and_password_then_me_with_it(client, user):
    response = obtain(client, username="lina", password=PASSWORD, name="东门闸机")

    assert response.status_code == 200
    raw = response.json()["token"]
    assert raw.startswith("fl_")
    assert len(raw) == 3 + 43  # "fl_" and 32 random bytes, URL-safe base64

    me = client.get(ME_URL, headers=bearer(raw))

    assert me.status_code == 200
    assert me.json() == {
        "username": "lina",
        "display_name": "李娜",
        "roles": ["company_admin", "health_officer"],
    }
    row = ApiToken.objects.get()
    assert (row.user_id, row.name) == (user.pk, "东门闸机")
    assert row.last_used_at is not None


def test_the_database_holds_only_the_hash(client, user):
    raw = obtain(client, username="lina", password=PASSWORD).json()["token"]

    row = ApiToken.objects.get()

    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:8]
    for field in ApiToken._meta.concrete_fields:
        assert raw not in str(getattr(row, field.attname))
    audit = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATE)
    assert audit.changes == {"name": "API", "prefix": raw[:8], "user": user.pk}
    assert raw not in str(audit.changes)


def test_each_request_gets_a_new_token(client, user):
    first = obtain(client, username="lina", password=PASSWORD).json()["token"]
    second = obtain(client, username="lina", password=PASSWORD).json()["token"]

    assert first != second
    assert ApiToken.objects.filter(user=user).count() == 2


def test_me_without_credentials_is_401(client, user):
    assert client.get(ME_URL).status_code == 401
    assert client.get(ME_URL, headers=bearer("fl_not-a-token")).status_code == 401


def test_a_revoked_token_is_refused(client, user):
    raw = obtain(client, username="lina", password=PASSWORD).json()["token"]
    row = ApiToken.objects.get()
    verified_session(client, user)

    revoked = client.post(reverse("api_token_revoke", args=[row.pk]))

    assert revoked.status_code == 302
    client.logout()
    assert client.get(ME_URL, headers=bearer(raw)).status_code == 401
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.API_TOKEN_REVOKE, object_id=str(row.pk)
        ).count()
        == 1
    )


def test_a_token_of_a_deactivated_user_is_refused(client, user):
    raw = obtain(client, username="lina", password=PASSWORD).json()["token"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get(ME_URL, headers=bearer(raw)).status_code == 401


# --- refusals all look the same ---------------------------------------------------------


def test_bad_password_is_401_with_the_same_body_as_an_unknown_user(client, user):
    wrong_password = obtain(client, username="lina", password="not-the-password")
    unknown_user = obtain(client, username="nobody", password="not-the-password")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json() == INVALID
    assert ApiToken.objects.count() == 0
    user.refresh_from_db()
    assert user.failed_logins == 1


def test_api_failures_lock_the_account_like_the_login_page(client, user, clock):
    for _ in range(5):
        assert obtain(client, username="lina", password="not-the-password").json() == INVALID

    right_but_locked = obtain(client, username="lina", password=PASSWORD)

    assert right_but_locked.status_code == 401
    assert right_but_locked.json() == INVALID
    assert ApiToken.objects.count() == 0
    user.refresh_from_db()
    assert user.locked_until is not None


def test_totp_account_needs_the_current_code(client, user, clock):
    totp = pyotp.parse_uri(totp_begin_setup(user=user))
    assert totp_confirm(user=user, code=totp.now())
    clock.shift(30)
    code = totp.now()
    wrong = next(c for c in ("000000", "111111", "222222") if c != code)

    without = obtain(client, username="lina", password=PASSWORD)
    with_wrong = obtain(client, username="lina", password=PASSWORD, otp=wrong)
    with_code = obtain(client, username="lina", password=PASSWORD, otp=code)
    replayed = obtain(client, username="lina", password=PASSWORD, otp=code)

    assert (without.status_code, without.json()) == (401, INVALID)
    assert (with_wrong.status_code, with_wrong.json()) == (401, INVALID)
    assert with_code.status_code == 200
    assert (replayed.status_code, replayed.json()) == (401, INVALID)
    assert ApiToken.objects.count() == 1


def test_required_2fa_admin_without_totp_gets_no_token(client, user, settings):
    settings.FIRSTLINE_REQUIRE_2FA = True

    response = obtain(client, username="lina", password=PASSWORD)

    assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_session_of_a_totp_user_without_the_code_cannot_use_the_api(client, user, clock):
    totp = pyotp.parse_uri(totp_begin_setup(user=user))
    assert totp_confirm(user=user, code=totp.now())
    client.force_login(user)

    assert client.get(ME_URL).status_code == 401

    session = client.session
    session[SESSION_VERIFIED] = True
    session.save()
    assert client.get(ME_URL).status_code == 200


# --- the account page ------------------------------------------------------------------------


def test_token_page_shows_a_new_token_once(client, user):
    verified_session(client, user)

    created = client.post(reverse("api_tokens"), {"name": "物业 ERP 对接"})

    assert created.status_code == 200
    raw = created.context["raw_token"]
    assert raw.startswith("fl_")
    assert raw in created.content.decode()
    row = ApiToken.objects.get()
    assert (row.name, row.prefix) == ("物业 ERP 对接", raw[:8])

    listed = client.get(reverse("api_tokens"))

    assert listed.status_code == 200
    assert raw not in listed.content.decode()
    assert [t.pk for t in listed.context["tokens"]] == [row.pk]
    assert raw[:8] in listed.content.decode()


def test_token_page_lists_only_ones_own_tokens(client, user, django_user_model):
    other = django_user_model.objects.create_user(username="other", password=PASSWORD)
    api_token_create(user=other, name="别人的")
    mine, _raw = api_token_create(user=user, name="我的")
    verified_session(client, user)

    listed = client.get(reverse("api_tokens"))

    assert [t.pk for t in listed.context["tokens"]] == [mine.pk]


def test_revoking_someone_elses_token_is_404_and_changes_nothing(client, user, django_user_model):
    other = django_user_model.objects.create_user(username="other", password=PASSWORD)
    theirs, _raw = api_token_create(user=other, name="别人的")
    verified_session(client, user)

    response = client.post(reverse("api_token_revoke", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKE).exists()


def test_revoke_is_post_only(client, user):
    token, _raw = api_token_create(user=user, name="闸机")
    verified_session(client, user)

    assert client.get(reverse("api_token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
