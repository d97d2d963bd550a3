"""Forms of the needs and allocation pages. They validate input and limit choices to
what the user may pick; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.supplies.models import Item, Warehouse


class NeedRequestForm(forms.Form):
    """A request: where, why, and one quantity box per catalogue item (blank or 0 =
    not needed). A company admin may leave the site empty for the company's store."""

    site = forms.ModelChoiceField(
        label=_("项目"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("公司仓库（不指定项目）"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    company = forms.ModelChoiceField(
        label=_("企业"),
        queryset=Company.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    justification = forms.CharField(
        label=_("需求说明"),
        max_length=500,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text=_("写明用途和缺口，例如：封闭管理、在岗人数、隔离户数、现有库存可用几天。"),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["site"].queryset = (
            Site.objects.for_scope(scope).only("id", "name", "company_id").order_by("name", "id")
        )
        companies = sorted(scope.ids(Target.COMPANY))
        if companies:
            self.fields["company"].queryset = Company.objects.filter(pk__in=companies).only(
                "id", "name"
            )
            self.fields["company"].initial = companies[0]
        if len(companies) <= 1:
            self.fields["company"].widget = forms.HiddenInput()
        if not companies:  # a site manager: one of their sites, always
            self.fields["site"].required = True
            self.fields["site"].empty_label = None
        self.items = list(Item.objects.filter(active=True).order_by("code"))
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = forms.IntegerField(
                label=f"{item.name}（{item.unit}，{_('每箱')} {item.pack_size}）",
                min_value=0,
                max_value=10_000_000,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control", "min": 0}),
            )

    def item_fields(self):
        return [self[f"qty_{item.pk}"] for item in self.items]

    def clean(self):
        data = super().clean()
        site, company = data.get("site"), data.get("company")
        if site is None and company is None and "site" not in self.errors:
            self.add_error("site", _("请选择项目。"))
        if site is not None:
            data["company"] = None
        return data

    def lines(self) -> list[tuple[Item, int]]:
        return [
            (item, self.cleaned_data[f"qty_{item.pk}"])
            for item in self.items
            if self.cleaned_data.get(f"qty_{item.pk}")
        ]


class ProposeForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("发货仓库"),
        queryset=Warehouse.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("物资（不选为全部）"),
        queryset=Item.objects.filter(active=True).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.for_scope(scope).select_related(
            "district"
        )


class LineQuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("分配数量"), min_value=0, max_value=10_000_000)
