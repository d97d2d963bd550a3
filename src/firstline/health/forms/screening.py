"""Forms of the screening pages: the resident's sign-in by code, consent, the
declaration with its places, the staff's import and risk-list upload, and the
worklist's calls. Forms validate and limit choices to the scope; services write."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.health.models import Symptom
from firstline.health.services.worklist import CALL_OUTCOMES, NOTES_MAX, REFERRED_TO_MAX

PLACE_ROWS = 5
MAX_PLACES = 20
UPLOAD_MAX = 10 * 1024 * 1024
WUHAN = "4201"


def _style(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget (the forms style themselves, as elsewhere)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


# --- the resident's sign-in ------------------------------------------------------------


class PhoneForm(StyledForm):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}
        ),
    )


class CodeForm(StyledForm):
    phone = forms.CharField(max_length=32, widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("验证码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("验证码为 6 位数字。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


class WhoForm(StyledForm):
    resident = forms.TypedChoiceField(label=_("为谁申报"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [(r.pk, r.name) for r in residents]


class ConsentForm(StyledForm):
    """The separate consent to processing health data (PIPL art. 29): its own text
    and its own checkbox, never bundled with the declaration's other fields."""

    agree = forms.BooleanField(
        label=_("我已阅读并同意上述健康信息处理告知"),
        error_messages={"required": _("须同意健康信息处理告知后才能申报。")},
    )


# --- the declaration ----------------------------------------------------------------------


def division_choices() -> list:
    """Wuhan's districts and their streets, grouped by district (one query)."""
    rows = list(
        Division.objects.filter(code__startswith=WUHAN, level__in=(3, 4))
        .order_by("code")
        .values_list("code", "name", "level")
    )
    groups: dict[str, tuple[str, list]] = {}
    for code, name, level in rows:
        if level == 3:
            groups[code] = (name, [(code, _("%(d)s（全区）") % {"d": name})])
        elif code[:6] in groups:
            groups[code[:6]][1].append((code, name))
    return [("", _("（不确定可不选）")), *[(name, opts) for name, opts in groups.values()]]


class PlaceForm(StyledForm):
    place_name = forms.CharField(label=_("地点"), max_length=100, required=False)
    visited_on = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    division_code = forms.ChoiceField(label=_("所属区/街道"), required=False)

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division_code"].choices = divisions or [("", "—")]

    def clean(self):
        data = super().clean()
        name, day = data.get("place_name", "").strip(), data.get("visited_on")
        data["place_name"] = name
        if (name or data.get("division_code")) and not day and "visited_on" not in self.errors:
            self.add_error("visited_on", _("请填写到访日期。"))
        if day and not name:
            self.add_error("place_name", _("请填写地点名称。"))
        if day and day > timezone.localdate():
            self.add_error("visited_on", _("到访日期不能晚于今天。"))
        return data

    @property
    def filled(self) -> bool:
        return bool(self.cleaned_data.get("place_name"))


class BasePlaceFormSet(forms.BaseFormSet):
    def __init__(self, *args, divisions=(), **kwargs):
        self.divisions = divisions
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "divisions": self.divisions}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            divisions=self.divisions,
        )
        self.add_fields(form, None)
        return form


PlaceFormSet = forms.formset_factory(
    PlaceForm,
    formset=BasePlaceFormSet,
    extra=PLACE_ROWS,
    max_num=MAX_PLACES,
    validate_max=True,
)


class DeclarationForm(StyledForm):
    """The declaration's own fields; the places are a formset beside it."""

    return_date = forms.DateField(
        label=_("返回本地日期"),
        required=False,
        help_text=_("近 14 天未离开本地可不填。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    transport = forms.CharField(
        label=_("交通方式（车次/航班）"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：G1234 或 CZ3456，自驾可填“自驾”")}),
    )
    contact_confirmed = forms.BooleanField(label=_("14 天内接触过确诊病例"), required=False)
    contact_suspected = forms.BooleanField(label=_("14 天内接触过疑似病例"), required=False)
    symptoms = forms.MultipleChoiceField(
        label=_("目前症状"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    temperature = forms.DecimalField(
        label=_("今日体温（℃）"),
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("34.0"),
        max_value=Decimal("43.0"),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )

    def clean_return_date(self):
        day = self.cleaned_data.get("return_date")
        if day and day > timezone.localdate() + timedelta(days=1):
            raise forms.ValidationError(_("返回日期不能晚于今天。"))
        return day


def declaration_forms(data=None, *, prefix_places: str = "places"):
    """The declaration form and its places formset, bound together or not."""
    divisions = division_choices()
    return (
        DeclarationForm(data),
        PlaceFormSet(data, prefix=prefix_places, divisions=divisions),
    )


def declaration_input(form: DeclarationForm, places: PlaceFormSet):
    """The engine's input from two valid forms."""
    from firstline.health.services.declarations import DeclarationInput, PlaceInput

    data = form.cleaned_data
    return DeclarationInput(
        return_date=data.get("return_date"),
        transport=data.get("transport", "").strip(),
        contact_confirmed=bool(data.get("contact_confirmed")),
        contact_suspected=bool(data.get("contact_suspected")),
        symptoms=tuple(data.get("symptoms") or ()),
        temperature=data.get("temperature"),
        places=tuple(
            PlaceInput(
                place_name=p.cleaned_data["place_name"],
                visited_on=p.cleaned_data["visited_on"],
                division_code=p.cleaned_data.get("division_code", ""),
            )
            for p in places.forms
            if p.has_changed() and p.filled
        ),
    )


# --- staff ---------------------------------------------------------------------------------


def scoped_sites(scope, perm: str):
    return (
        Site.objects.for_scope(scope.for_perm(perm))
        .order_by("name")
        .only("id", "company_id", "name")
    )


class DeclarationImportForm(StyledForm):
    site = forms.ModelChoiceField(label=_("导入到项目"), queryset=Site.objects.none())
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = scoped_sites(scope, "health.import_declaration")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的文件。"))
        if f.size > UPLOAD_MAX:
            raise forms.ValidationError(_("文件不能超过 10 MB。"))
        return f


class RiskListUploadForm(StyledForm):
    name = forms.CharField(
        label=_("名单名称"),
        max_length=100,
        help_text=_("与已有名单同名即为该名单的新版本。"),
        widget=forms.TextInput(attrs={"list": "risklist-names"}),
    )
    source = forms.CharField(label=_("发布机关"), max_length=100, required=False)
    published_at = forms.DateTimeField(
        label=_("发布时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    file = forms.FileField(label=_("名单文件（.csv 或 .xlsx）"))

    def clean_published_at(self):
        value = self.cleaned_data["published_at"]
        if value > timezone.now() + timedelta(days=1):
            raise forms.ValidationError(_("发布时间不能晚于今天。"))
        return value

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("请上传 .csv 或 .xlsx 格式的文件。"))
        if f.size > UPLOAD_MAX:
            raise forms.ValidationError(_("文件不能超过 10 MB。"))
        return f


class CallForm(StyledForm):
    outcome = forms.ChoiceField(
        label=_("通话结果"), choices=[(o.value, o.label) for o in CALL_OUTCOMES]
    )
    notes = forms.CharField(
        label=_("备注"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReferForm(StyledForm):
    to = forms.CharField(
        label=_("转介至（社区卫生服务站）"),
        max_length=REFERRED_TO_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("例如：民族街社区卫生服务中心")}),
    )
    notes = forms.CharField(
        label=_("备注"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
