"""Forms of signing in and of the account pages. They validate input only: the
writes are services (orgs.services)."""

from datetime import datetime, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        css = (
            "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
        )
        field.widget.attrs.setdefault("class", css)


def lock_message(locked_until: datetime) -> str:
    # Round up to the whole minute: trying at the minute shown must work.
    until = timezone.localtime(locked_until)
    if until.second or until.microsecond:
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return _("账户已锁定，请于 %(time)s 后再试") % {"time": until.strftime("%H:%M")}


class LoginForm(AuthenticationForm):
    """Username and password; says so plainly when the account is locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账户已停用。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = _("密码")
        _bootstrap(self)

    def get_invalid_login_error(self):
        locked_until = getattr(self.request, "firstline_locked_until", None)
        if locked_until is not None:
            return ValidationError(lock_message(locked_until), code="locked")
        return super().get_invalid_login_error()


class StyledPasswordChangeForm(PasswordChangeForm):
    """Django's password change form (old password checked, validators applied)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("当前密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("确认新密码")
        _bootstrap(self)


class TotpCodeForm(forms.Form):
    """A six-digit code from the authenticator app."""

    code = forms.CharField(
        label=_("动态口令"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "placeholder": "123456",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise ValidationError(_("请输入验证器应用显示的 6 位数字。"), code="format")
        return code


class ApiTokenCreateForm(forms.Form):
    """The name a new token is known by (which device or integration uses it)."""

    name = forms.CharField(
        label=_("名称"),
        max_length=64,
        help_text=_("例如：东门闸机、物业 ERP 对接"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
