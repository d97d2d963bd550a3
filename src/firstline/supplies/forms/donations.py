"""Forms of the donation and stock pages. They validate input and limit every
choice to the coordinator's scope (`for_scope`), or for a company user to the
locations their scope reaches; the services in donations.py write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.core.roles import Role, Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Company, User
from firstline.supplies.models import (
    Campaign,
    Donor,
    InboundBatch,
    Item,
    Location,
    Pledge,
    QualityDocument,
    Warehouse,
)
from firstline.supplies.selectors.coordination import member_sites_across_companies
from firstline.supplies.services.donations import Direction


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = (
            "form-check-input"
            if isinstance(widget, forms.CheckboxInput)
            else ("form-select" if isinstance(widget, forms.Select) else "form-control")
        )
        widget.attrs.setdefault("class", css)


class AssociationForm(forms.Form):
    """A form whose choices come from the coordinator's scope."""

    def __init__(self, *args, scope: Scope, instance=None, **kwargs):
        self.scope = scope
        self.instance = instance
        super().__init__(*args, **kwargs)
        self.limit()
        _style(self)

    def limit(self) -> None:
        pass


class DirectionFields(forms.Form):
    """定向捐赠: at most one of company, site, division (the service checks it)."""

    directed_company = forms.ModelChoiceField(
        label=_("定向企业"), queryset=Company.objects.none(), required=False
    )
    directed_site = forms.ModelChoiceField(
        label=_("定向项目"), queryset=Site.objects.none(), required=False
    )
    directed_division_code = forms.CharField(
        label=_("定向区划代码"),
        max_length=12,
        required=False,
        help_text=_("定向到某区划的全部项目时填写，如 420103；三项最多填一项，都不填为非定向。"),
    )

    def limit_direction(self, scope: Scope) -> None:
        self.fields["directed_company"].queryset = Company.objects.for_scope(scope).order_by("name")
        self.fields["directed_site"].queryset = member_sites_across_companies(scope).order_by(
            "name", "id"
        )

    def direction(self) -> Direction:
        data = self.cleaned_data
        return Direction(
            company_id=data["directed_company"].pk if data.get("directed_company") else None,
            site_id=data["directed_site"].pk if data.get("directed_site") else None,
            division_code=(data.get("directed_division_code") or "").strip(),
        )


class DonorForm(AssociationForm):
    kind = forms.ChoiceField(label=_("类型"), choices=Donor.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=128)
    public_name = forms.CharField(
        label=_("公示名称"),
        max_length=128,
        required=False,
        help_text=_("公开台账显示的名称；个人捐赠者不填时显示“爱心人士”。"),
    )
    account = forms.ModelChoiceField(
        label=_("登录账号"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("捐赠方用此账号登录，查看自己捐赠物资的去向。"),
    )

    def limit(self):
        self.fields["account"].queryset = (
            User.objects.filter(
                role_assignments__role=Role.DONOR,
                role_assignments__association_id__in=sorted(self.scope.ids(Target.ASSOCIATION)),
            )
            .distinct()
            .order_by("username")
        )
        if self.instance is not None and not self.is_bound:
            self.initial.update(
                kind=self.instance.kind,
                name=self.instance.name,
                public_name=self.instance.public_name,
                account=self.instance.account_id,
            )


class CampaignForm(AssociationForm):
    name = forms.CharField(label=_("活动名称"), max_length=128)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WarehouseForm(AssociationForm):
    name = forms.CharField(label=_("仓库名称"), max_length=128)
    district = forms.ModelChoiceField(label=_("所在区"), queryset=Division.objects.none())
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def limit(self):
        self.fields["district"].queryset = Division.objects.filter(
            level=Division.Level.DISTRICT
        ).order_by("code")


class PledgeForm(DirectionFields, AssociationForm):
    donor = forms.ModelChoiceField(label=_("捐赠方"), queryset=Donor.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    campaign = forms.ModelChoiceField(
        label=_("募捐活动"), queryset=Campaign.objects.none(), required=False
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    field_order = ["donor", "item", "quantity", "campaign"]

    def limit(self):
        self.fields["donor"].queryset = Donor.objects.for_scope(self.scope)
        self.fields["item"].queryset = Item.objects.filter(active=True)
        self.fields["campaign"].queryset = Campaign.objects.for_scope(self.scope)
        self.limit_direction(self.scope)


class BatchForm(DirectionFields, AssociationForm):
    donor = forms.ModelChoiceField(label=_("捐赠方"), queryset=Donor.objects.none())
    warehouse = forms.ModelChoiceField(label=_("入库仓库"), queryset=Warehouse.objects.none())
    campaign = forms.ModelChoiceField(
        label=_("募捐活动"), queryset=Campaign.objects.none(), required=False
    )
    pledge = forms.ModelChoiceField(
        label=_("对应认捐"),
        queryset=Pledge.objects.none(),
        required=False,
        help_text=_("选中后该认捐标记为已到货；未填定向时沿用认捐的定向。"),
    )
    received_at = forms.DateTimeField(
        label=_("入库时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("不填为现在。"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    field_order = ["donor", "warehouse", "campaign", "pledge", "received_at"]

    def limit(self):
        scope = self.scope
        self.fields["donor"].queryset = Donor.objects.for_scope(scope)
        self.fields["warehouse"].queryset = Warehouse.objects.for_scope(scope).select_related(
            "district"
        )
        self.fields["campaign"].queryset = Campaign.objects.for_scope(scope)
        self.fields["pledge"].queryset = (
            Pledge.objects.for_scope(scope)
            .filter(state=Pledge.State.PLEDGED)
            .select_related("donor", "item")
        )
        self.fields["pledge"].label_from_instance = lambda p: (
            f"{p.donor.name} · {p.item.name} × {p.quantity}"
        )
        self.limit_direction(scope)

    def clean(self):
        data = super().clean()
        donor, warehouse = data.get("donor"), data.get("warehouse")
        if donor and warehouse and donor.association_id != warehouse.association_id:
            self.add_error("warehouse", _("仓库与捐赠方不属于同一协会。"))
        return data


class BatchLineForm(forms.Form):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.filter(active=True))
    lot_no = forms.CharField(label=_("生产批号"), max_length=64, required=False)
    expiry = forms.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    quantity = forms.IntegerField(label=_("数量"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class _BaseLines(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(f.cleaned_data and not f.cleaned_data.get("DELETE") for f in self.forms):
            raise forms.ValidationError(_("至少填写一行物资。"))


BatchLineFormSet = forms.formset_factory(
    BatchLineForm, formset=_BaseLines, extra=5, max_num=100, validate_max=True
)


class DocumentForm(AssociationForm):
    kind = forms.ChoiceField(label=_("类型"), choices=QualityDocument.Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=128)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、JPEG 或 PNG，不超过 10 MB。"))


class AdjustForm(AssociationForm):
    location = forms.ModelChoiceField(label=_("库位"), queryset=Location.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    batch = forms.ModelChoiceField(label=_("入库批次"), queryset=InboundBatch.objects.none())
    quantity_delta = forms.IntegerField(
        label=_("调整数量"), help_text=_("盘亏填负数（如 -5），盘盈填正数。")
    )
    reason = forms.CharField(label=_("原因"), max_length=200)

    def limit(self):
        self.fields["location"].queryset = (
            Location.objects.for_scope(self.scope)
            .filter(virtual=False)
            .order_by("kind", "public_name")
        )
        self.fields["item"].queryset = Item.objects.all()
        self.fields["batch"].queryset = InboundBatch.objects.for_scope(self.scope)


class TransferForm(forms.Form):
    """Company store → one of its sites; the choices are the user's own locations."""

    from_location = forms.ModelChoiceField(
        label=_("调出（企业仓库）"), queryset=Location.objects.none()
    )
    to_location = forms.ModelChoiceField(label=_("调入项目"), queryset=Location.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.all())
    quantity = forms.IntegerField(label=_("数量"), min_value=1)

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_location"].queryset = locations.filter(kind=Location.Kind.COMPANY)
        self.fields["to_location"].queryset = locations.filter(kind=Location.Kind.SITE)
        _style(self)
