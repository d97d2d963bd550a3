"""Forms of signing in, of the account pages and of the members registry. They
validate input only: the writes are services (orgs.services)."""

from datetime import datetime, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.normalise import normalise_credit_code
from firstline.core.roles import Target
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company
from firstline.orgs.services.members import COMPANY_FIELDS
from firstline.orgs.validators import validate_credit_code


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
    """Username and password. Every refused sign-in gets the one answer, whether the
    name is unknown, the password wrong or the account locked: a different answer for
    a locked account would tell anyone who tried five wrong passwords that the name
    exists. The page states the lockout rule to everyone instead."""

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


class CompanyForm(forms.Form):
    association = forms.ModelChoiceField(label=_("所属协会"), queryset=Association.objects.none())
    name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, validators=[validate_credit_code]
    )
    division = forms.ModelChoiceField(
        label=_("注册地（区）"), queryset=Division.objects.filter(level=Division.Level.DISTRICT)
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=Company.Status.choices, initial=Company.Status.ACTIVE
    )

    def __init__(self, *args, scope, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{k: getattr(instance, k) for k in COMPANY_FIELDS if k != "division"},
                    "division": instance.division_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        associations = Association.objects.filter(pk__in=sorted(scope.ids(Target.ASSOCIATION)))
        self.fields["association"].queryset = associations
        if instance is not None:
            del self.fields["association"]
        elif len(scope.ids(Target.ASSOCIATION)) == 1:
            self.fields["association"].initial = next(iter(scope.ids(Target.ASSOCIATION)))
            self.fields["association"].widget = forms.HiddenInput()
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def clean_credit_code(self):
        code = normalise_credit_code(self.cleaned_data["credit_code"])
        clash = Company.objects.filter(credit_code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("该统一社会信用代码已登记。"))
        return code
