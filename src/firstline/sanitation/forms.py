"""Forms of the guide-library and plan pages: they validate input and limit every
choice to the user's scope; the services in guides.py and plans.py write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.access.models import Device
from firstline.estates.forms import ScopedForm
from firstline.estates.models import Building, Site
from firstline.sanitation.models import AreaKind
from firstline.sanitation.services.guides import GUIDE_SITE_TYPES

PLAN_PERMISSION = "sanitation.change_plan"


def guide_type_choices():
    labels = dict(Site.Type.choices)
    return [(t, labels[t]) for t in GUIDE_SITE_TYPES]


def _frequency_fields():
    return {
        "times_per_day": forms.IntegerField(
            label=_("每日次数"), required=False, min_value=1, max_value=24
        ),
        "every_hours": forms.IntegerField(
            label=_("间隔小时"),
            required=False,
            min_value=1,
            max_value=12,
            help_text=_("每日次数和间隔小时只填一项；任务分布在 8:00–20:00。"),
        ),
    }


class AreaForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目"), queryset=Site.objects.none())
    name = forms.CharField(label=_("区域名称"), max_length=100)
    kind = forms.ChoiceField(label=_("区域类型"), choices=AreaKind.choices)
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False
    )
    device = forms.ModelChoiceField(
        label=_("消毒设备"),
        queryset=Device.objects.none(),
        required=False,
        help_text=_("安装在此区域的紫外线灯或负责此区域的无人机"),
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.scope.for_perm(PLAN_PERMISSION)
        self.fields["site"].queryset = Site.objects.for_scope(scope).order_by("name", "id")
        self.fields["building"].queryset = (
            Building.objects.for_scope(scope).select_related("site").order_by("site_id", "name")
        )
        self.fields["building"].label_from_instance = lambda b: f"{b.site.name} {b.name}"
        self.fields["device"].queryset = Device.objects.for_scope(scope).filter(
            kind__in=[Device.Kind.UV_LAMP, Device.Kind.DRONE]
        )
        if self.instance is not None:
            self.fields["site"].widget = forms.HiddenInput()
            self.fields["site"].required = False
            site_id = self.instance.site_id
            self.fields["building"].queryset = self.fields["building"].queryset.filter(
                site_id=site_id
            )
            self.fields["device"].queryset = self.fields["device"].queryset.filter(site_id=site_id)
        else:
            del self.fields["active"]


class PlanEntryForm(ScopedForm):
    method = forms.CharField(label=_("方法"), widget=forms.Textarea(attrs={"rows": 3}))
    disinfectant = forms.CharField(label=_("消毒剂"), max_length=100, required=False)
    concentration = forms.CharField(label=_("浓度"), max_length=64, required=False)
    times_per_day = _frequency_fields()["times_per_day"]
    every_hours = _frequency_fields()["every_hours"]
    precautions = forms.CharField(
        label=_("注意事项"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(label=_("启用"), required=False)


class OverrideForm(ScopedForm):
    site_type = forms.ChoiceField(label=_("项目类型"), choices=())
    code = forms.SlugField(label=_("条目代码"), max_length=48)
    disabled = forms.BooleanField(label=_("本企业不适用此条目"), required=False)
    method = forms.CharField(
        label=_("方法"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    disinfectant = forms.CharField(label=_("消毒剂"), max_length=100, required=False)
    concentration = forms.CharField(label=_("浓度"), max_length=64, required=False)
    times_per_day = _frequency_fields()["times_per_day"]
    every_hours = _frequency_fields()["every_hours"]
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site_type"].choices = guide_type_choices()
        self.fields["method"].help_text = _("留空的项目按指引执行。")
        if self.instance is not None:  # which item is overridden is fixed once made
            for name in ("site_type", "code"):
                self.fields[name].widget = forms.HiddenInput()
                self.fields[name].required = False


class GuideReviseForm(forms.Form):
    """One item of the current version changed, added (a new code) or removed; saving
    publishes the next version."""

    code = forms.SlugField(label=_("条目代码"), max_length=48)
    area_kind = forms.ChoiceField(label=_("区域类型"), choices=AreaKind.choices)
    title = forms.CharField(label=_("条目"), max_length=200)
    method = forms.CharField(label=_("方法"), widget=forms.Textarea(attrs={"rows": 3}))
    disinfectant = forms.CharField(label=_("消毒剂"), max_length=100, required=False)
    concentration = forms.CharField(label=_("浓度"), max_length=64, required=False)
    times_per_day = _frequency_fields()["times_per_day"]
    every_hours = _frequency_fields()["every_hours"]
    precautions = forms.CharField(
        label=_("注意事项"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    remove = forms.BooleanField(label=_("从新版本中删除此条目"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            widget.attrs.setdefault(
                "class",
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else ("form-select" if isinstance(widget, forms.Select) else "form-control"),
            )

    def clean(self):
        data = super().clean()
        if data.get("remove"):  # removing needs only the code
            for name in ("title", "method", "area_kind"):
                self.errors.pop(name, None)
        return data
