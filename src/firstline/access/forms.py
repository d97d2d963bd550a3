"""Forms of the access administration pages: they validate input and limit every
choice to the user's scope; the services in services.py / admin_services.py write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.access.models import (
    AccessPolicy,
    Checkpoint,
    DeliveryRule,
    Device,
    Mode,
    VisitorRule,
)
from firstline.core.roles import Target
from firstline.estates.forms import ScopedForm
from firstline.estates.models import Building, Household, Resident, Site

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _buildings(scope, perm: str):
    return (
        Building.objects.for_scope(scope.for_perm(perm))
        .select_related("site")
        .order_by("site__name", "name")
    )


def _building_label(building: Building) -> str:
    return f"{building.site.name} · {building.name}"


class RoomFields(forms.Form):
    """Building (a choice within the scope), unit and room, resolved to a household of
    the scope in clean(); the error names the room, as staff write it."""

    room_perm = ""
    room_required = True

    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), empty_label=_("请选择楼栋")
    )
    unit = forms.CharField(label=_("单元"), max_length=16, required=False)
    room = forms.CharField(label=_("房号"), max_length=16)

    def setup_room_fields(self) -> None:
        self.fields["building"].queryset = _buildings(self.scope, self.room_perm)
        self.fields["building"].label_from_instance = _building_label
        if not self.room_required:
            self.fields["building"].required = False
            self.fields["room"].required = False

    def resolve_household(self) -> Household | None:
        building = self.cleaned_data.get("building")
        room = (self.cleaned_data.get("room") or "").strip()
        if building is None and not room:
            return None
        if building is None:
            self.add_error("building", _("请选择楼栋。"))
            return None
        if not room:
            self.add_error("room", _("请填写房号。"))
            return None
        unit = (self.cleaned_data.get("unit") or "").strip()
        household = (
            Household.objects.for_scope(self.scope.for_perm(self.room_perm))
            .select_related("site", "building")
            .filter(building=building, unit=unit, room=room)
            .first()
        )
        if household is None:
            unit_label = f"{unit}单元" if unit else ""
            self.add_error(
                "room",
                _("%(building)s没有此房号：%(room)s")
                % {"building": _building_label(building), "room": f"{unit_label}{room}"},
            )
        return household


# --- policies ---------------------------------------------------------------------------


class PolicyForm(ScopedForm):
    """A new version of a site's policy; starts from the version in force."""

    site = forms.ModelChoiceField(
        label=_("项目"), queryset=Site.objects.none(), empty_label=_("请选择项目")
    )
    effective_from = forms.DateTimeField(
        label=_("生效时间"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("默认立即生效；也可以设为将来的时间，到时自动切换。"),
    )
    mode = forms.ChoiceField(label=_("管理模式"), choices=Mode.choices, initial=Mode.CLOSED)
    temperature_threshold = forms.DecimalField(
        label=_("体温阈值（℃）"),
        max_digits=3,
        decimal_places=1,
        min_value=35,
        max_value=42,
        initial="37.3",
    )
    outing_quota = forms.IntegerField(
        label=_("每户外出人次"),
        min_value=0,
        max_value=20,
        required=False,
        help_text=_("每个周期内每户允许外出的人次；留空表示不限。"),
    )
    outing_period_days = forms.IntegerField(
        label=_("外出周期（天）"), min_value=1, max_value=30, initial=2
    )
    outing_window_start = forms.TimeField(
        label=_("外出时段开始"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    outing_window_end = forms.TimeField(
        label=_("外出时段结束"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("可跨午夜，如 22:00–02:00；都留空表示全天。"),
    )
    require_green = forms.BooleanField(label=_("需要绿码"), required=False, initial=True)
    visitor_rule = forms.ChoiceField(label=_("访客规则"), choices=VisitorRule.choices)
    delivery_rule = forms.ChoiceField(label=_("快递外卖"), choices=DeliveryRule.choices)
    vehicles_registered_only = forms.BooleanField(
        label=_("仅登记车辆"), required=False, initial=True
    )
    office_hours_start = forms.TimeField(
        label=_("办公时间开始"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("办公模式：此时段外拒绝进入（离开不受限）。"),
    )
    office_hours_end = forms.TimeField(
        label=_("办公时间结束"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("都留空表示全天。"),
    )
    floor_cap = forms.IntegerField(
        label=_("每层在场人数上限"),
        min_value=1,
        max_value=10000,
        required=False,
        help_text=_(
            "办公模式：一层楼当天在场的人数（进入减离开）达到此数后拒绝进入；留空表示不限。"
        ),
    )

    def __init__(self, *args, current: AccessPolicy | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = self.sites("access.change_policy")
        if current is not None and not self.is_bound:
            for name in self.fields:
                if name not in ("site", "effective_from"):
                    self.initial[name] = getattr(current, name)
        self.initial.setdefault(
            "effective_from", timezone.localtime().replace(second=0, microsecond=0)
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("outing_window_start"), data.get("outing_window_end")
        if (start is None) != (end is None):
            self.add_error(
                "outing_window_end" if end is None else "outing_window_start",
                _("外出时段的开始和结束要同时填写。"),
            )
        start, end = data.get("office_hours_start"), data.get("office_hours_end")
        if (start is None) != (end is None):
            self.add_error(
                "office_hours_end" if end is None else "office_hours_start",
                _("办公时间的开始和结束要同时填写。"),
            )
        return data


# --- passes ---------------------------------------------------------------------------


class PassIssueForm(ScopedForm):
    """One resident's pass, or passes for everyone in a building who has none."""

    TARGETS = [("resident", _("为居民发证")), ("building", _("为整栋楼发证"))]

    target = forms.ChoiceField(choices=TARGETS, widget=forms.HiddenInput)
    resident = forms.ModelChoiceField(
        label=_("居民"), queryset=Resident.objects.none(), required=False, widget=forms.HiddenInput
    )
    building = forms.ModelChoiceField(
        label=_("楼栋"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("请选择楼栋"),
    )
    days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=365, initial=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.for_scope(self.scope).select_related(
            "site", "household"
        )
        self.fields["building"].queryset = _buildings(self.scope, "access.issue_pass")
        self.fields["building"].label_from_instance = _building_label

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == "resident" and not data.get("resident"):
            self.add_error("resident", _("请选择居民。"))
        if target == "building" and not data.get("building"):
            self.add_error("building", _("请选择楼栋。"))
        return data


class PassRevokeForm(ScopedForm):
    reason = forms.CharField(
        label=_("注销原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("例如：已搬离、证件遗失")}),
    )


class ConfirmForm(ScopedForm):
    """An action that needs nothing but the POST (and its CSRF token)."""


# --- checkpoints and devices -------------------------------------------------------------


class CheckpointForm(ScopedForm):
    site = forms.ModelChoiceField(
        label=_("项目"), queryset=Site.objects.none(), empty_label=_("请选择项目")
    )
    name = forms.CharField(label=_("名称"), max_length=64)
    kind = forms.ChoiceField(label=_("类型"), choices=Checkpoint.Kind.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            del self.fields["site"]
        else:
            self.fields["site"].queryset = self.sites("access.manage_device")


class DeviceForm(ScopedForm):
    checkpoint = forms.ModelChoiceField(
        label=_("出入口"), queryset=Checkpoint.objects.none(), empty_label=_("请选择出入口")
    )
    name = forms.CharField(label=_("名称"), max_length=64)
    kind = forms.ChoiceField(label=_("类型"), choices=Device.Kind.choices)
    serial = forms.CharField(label=_("序列号"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Checkpoint.objects.for_scope(
            self.scope.for_perm("access.manage_device")
        ).select_related("site")
        self.fields["checkpoint"].queryset = qs.order_by("site__name", "name")
        self.fields["checkpoint"].label_from_instance = lambda c: f"{c.site.name} · {c.name}"


# --- visitors, deliveries, vehicles ------------------------------------------------------------


class VisitorForm(RoomFields, ScopedForm):
    """Staff at the gate name the household by building and room; a resident registers
    for their own household (a choice only when they hold more than one)."""

    room_perm = "access.register_visitor"

    household = forms.ModelChoiceField(label=_("被访住户"), queryset=Household.objects.none())
    name = forms.CharField(label=_("访客姓名"), max_length=64)
    phone = forms.CharField(label=_("访客手机号"), max_length=32)
    expected_on = forms.DateField(
        label=_("预计来访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    purpose = forms.CharField(label=_("来访事由"), max_length=200, required=False)

    field_order = [
        "household",
        "building",
        "unit",
        "room",
        "name",
        "phone",
        "expected_on",
        "purpose",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("expected_on", timezone.localdate())
        self.for_own_household = all(g.target == Target.HOUSEHOLD for g in self.scope.grants)
        if self.for_own_household:
            for name in ("building", "unit", "room"):
                del self.fields[name]
            own = (
                Household.objects.for_scope(self.scope)
                .select_related("site", "building")
                .order_by("pk")
            )
            self.fields["household"].queryset = own
            self.fields["household"].label_from_instance = lambda h: f"{h.site.name} · {h.label}"
            households = list(own[:2])
            if len(households) == 1:
                self.fields["household"].widget = forms.HiddenInput()
                self.initial["household"] = households[0].pk
        else:
            del self.fields["household"]
            self.setup_room_fields()

    def clean(self):
        data = super().clean()
        if not self.for_own_household:
            data["household"] = self.resolve_household()
        return data


class DeliveryForm(RoomFields, ScopedForm):
    room_perm = "access.log_delivery"
    room_required = False

    site = forms.ModelChoiceField(
        label=_("项目"), queryset=Site.objects.none(), empty_label=_("请选择项目")
    )
    carrier = forms.CharField(
        label=_("快递/外卖"),
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("例如：顺丰、美团")}),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    field_order = ["site", "carrier", "building", "unit", "room", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sites = self.sites("access.log_delivery")
        self.fields["site"].queryset = sites
        self.setup_room_fields()
        self.fields["building"].empty_label = _("不指定住户")
        self.fields["room"].help_text = _("知道收件住户时填写；不知道可留空。")
        choices = list(sites.values_list("pk", flat=True)[:2])
        if len(choices) == 1:
            self.initial.setdefault("site", choices[0])

    def clean(self):
        data = super().clean()
        household = self.resolve_household()
        site = data.get("site")
        if household is not None and site is not None and household.site_id != site.pk:
            self.add_error("building", _("所选楼栋不在该项目。"))
        data["household"] = household
        return data


class VehicleForm(RoomFields, ScopedForm):
    room_perm = "access.issue_pass"

    plate = forms.CharField(
        label=_("车牌号"),
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "鄂A12345", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_room_fields()

    def clean(self):
        data = super().clean()
        data["household"] = self.resolve_household()
        return data
