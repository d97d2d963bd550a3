"""Forms of the market pages: validate input, limit choices to the scope; the
services write. Money is entered in yuan (two decimals) and stored in fen; weight in
grams (shown as jin and kg)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.core.roles import Target
from firstline.estates.forms import ScopedForm
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.market.models import Certificate, Order, Payment, Product, Supplier
from firstline.market.selectors.catalogue import campaign_sites_choosable
from firstline.orgs.models import Company


def yuan_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.00"),
        max_value=Decimal("1000000.00"),
        **kwargs,
    )


def to_fen(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


class SupplierForm(ScopedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    county = forms.ModelChoiceField(
        label=_("所在县"),
        queryset=Division.objects.filter(level=Division.Level.DISTRICT).order_by("code"),
        empty_label=_("请选择县（区）"),
    )
    poverty = forms.ChoiceField(label=_("扶贫状态"), choices=Supplier.Poverty.choices)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("加密保存；编辑时留空则保留原号码"),
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def initial_from(self, instance) -> dict:
        out = super().initial_from(instance)
        out.pop("phone", None)
        return out


class CertificateForm(ScopedForm):
    kind = forms.ChoiceField(label=_("类别"), choices=Certificate.Kind.choices)
    number = forms.CharField(label=_("证书编号"), max_length=64)
    expires_on = forms.DateField(
        label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ProductForm(ScopedForm):
    supplier = forms.ModelChoiceField(label=_("供应商"), queryset=Supplier.objects.none())
    name = forms.CharField(label=_("品名"), max_length=100)
    origin = forms.CharField(label=_("产地"), max_length=100)
    unit = forms.CharField(label=_("单位"), max_length=8, initial="箱")
    grams_per_unit = forms.IntegerField(
        label=_("每单位重量（克）"),
        min_value=1,
        max_value=1_000_000,
        help_text=_("500 克 = 1 斤"),
    )
    price_yuan = yuan_field(_("单价（元）"))
    available = forms.IntegerField(label=_("可供数量"), min_value=0, max_value=10_000_000)
    trace_code = forms.CharField(label=_("溯源码"), max_length=64, required=False)
    photo = forms.FileField(label=_("照片"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.for_scope(self.scope).order_by(
            "name", "id"
        )

    def initial_from(self, instance) -> dict:
        out = super().initial_from(instance)
        out["price_yuan"] = Decimal(instance.price_fen) / 100
        out.pop("photo", None)
        return out

    def clean_price_yuan(self):
        value = self.cleaned_data["price_yuan"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("单价必须大于零。"))
        return value


class SupplierLoginForm(ScopedForm):
    username = forms.CharField(label=_("登录名"), max_length=150)
    name = forms.CharField(label=_("姓名"), max_length=64)


class CampaignForm(ScopedForm):
    title = forms.CharField(label=_("名称"), max_length=100)
    company = forms.ModelChoiceField(
        label=_("发起企业"),
        queryset=None,
        required=False,
        empty_label=_("协会发起"),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("农产品"), queryset=Product.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("参与项目"), queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    opens_at = forms.DateTimeField(
        label=_("开始预订"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("截单时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    delivery_on = forms.DateField(
        label=_("配送日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    min_order_yuan = yuan_field(_("起订金额（元）"), required=False, initial=Decimal("0.00"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        companies = self.scope.ids(Target.COMPANY)
        self.fields["company"].queryset = Company.objects.filter(pk__in=companies).order_by("id")
        self.desk = self.scope.for_perm("market.manage_programme").ids(Target.ASSOCIATION)
        if not self.desk:
            self.fields["company"].required = True
            self.fields["company"].empty_label = None
        self.fields["products"].queryset = (
            Product.objects.for_scope(self.scope)
            .filter(supplier__active=True)
            .select_related("supplier")
            .order_by("supplier__name", "name", "id")
        )
        self.fields["sites"].queryset = campaign_sites_choosable(self.scope)
        for name in ("products", "sites"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        company, sites = data.get("company"), data.get("sites")
        if company is not None and sites and any(s.company_id != company.pk for s in sites):
            self.add_error("sites", _("企业发起的活动只能包含本企业的项目。"))
        return data


class StaffOrderForm(forms.Form):
    """代订: the quantity of each offered product; pickup or doorstep."""

    handover = forms.ChoiceField(label=_("收货方式"), choices=Order.Handover.choices)

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = offers
        self.fields["handover"].widget.attrs["class"] = "form-select"
        for offer in offers:
            self.fields[f"q{offer.product_id}"] = forms.IntegerField(
                label=f"{offer.product.name}（¥{offer.price_fen // 100}.{offer.price_fen % 100:02d}/{offer.product.unit}）",
                min_value=0,
                max_value=999,
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
            )

    def quantities(self) -> dict[int, int]:
        return {o.product_id: self.cleaned_data.get(f"q{o.product_id}") or 0 for o in self.offers}


class PaymentForm(ScopedForm):
    kind = forms.ChoiceField(label=_("类型"), choices=Payment.Kind.choices)
    amount_yuan = yuan_field(_("金额（元）"))
    reference = forms.CharField(
        label=_("流水号"), max_length=64, required=False, help_text=_("转账须填写")
    )
