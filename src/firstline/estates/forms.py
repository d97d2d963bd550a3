"""Forms validate input and limit choices to the user's scope; services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.models import Building, Resident, Site, Staff
from firstline.geo.models import Division
from firstline.orgs.models import Company


class ScopedForm(forms.Form):
    def __init__(self, *args, scope, instance=None, **kwargs):
        self.scope = scope
        self.instance = instance
        initial = kwargs.pop("initial", None) or {}
        if instance is not None:
            initial = {**self.initial_from(instance), **initial}
        super().__init__(*args, initial=initial, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = (
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else ("form-select" if isinstance(widget, forms.Select) else "form-control")
            )
            widget.attrs.setdefault("class", css)

    def initial_from(self, instance) -> dict:
        """Field values of the instance; relations by id, so nothing is fetched lazily."""
        out = {}
        for name in self.base_fields:
            if hasattr(instance, f"{name}_id"):
                out[name] = getattr(instance, f"{name}_id")
            elif hasattr(instance, name):
                out[name] = getattr(instance, name)
        return out

    def sites(self, perm: str):
        return Site.objects.for_scope(self.scope.for_perm(perm)).order_by("name")


class SiteForm(ScopedForm):
    company = forms.ModelChoiceField(label=_("企业"), queryset=Company.objects.none())
    name = forms.CharField(label=_("项目名称"), max_length=128)
    site_type = forms.ChoiceField(label=_("项目类型"), choices=Site.Type.choices)
    community = forms.ModelChoiceField(
        label=_("所属社区"),
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY).select_related("parent"),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    manager_phone = forms.CharField(label=_("项目电话"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        companies = Company.objects.filter(pk__in=sorted(self.scope.ids("company")))
        self.fields["company"].queryset = companies
        if self.instance is not None or len(self.scope.ids("company")) == 1:
            self.fields["company"].widget = forms.HiddenInput()
            self.fields["company"].required = False
        self.fields["community"].label_from_instance = lambda d: (
            f"{d.parent.name} · {d.name}" if d.parent_id else d.name
        )

    def company_id(self) -> int:
        if self.instance is not None:
            return self.instance.company_id
        company = self.cleaned_data.get("company")
        return company.pk if company else next(iter(self.scope.ids("company")))


class BuildingForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目"), queryset=Site.objects.none())
    name = forms.CharField(label=_("楼栋"), max_length=64)
    floors = forms.IntegerField(label=_("层数"), min_value=1, max_value=200, initial=6)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = self.sites("estates.change_building")
        if self.instance is not None:
            del self.fields["site"]


class HouseholdForm(ScopedForm):
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none())
    unit = forms.CharField(label=_("单元"), max_length=16, required=False)
    room = forms.CharField(label=_("房号"), max_length=16)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            del self.fields["building"]
        else:
            qs = Building.objects.for_scope(
                self.scope.for_perm("estates.change_household")
            ).select_related("site")
            self.fields["building"].queryset = qs.order_by("site__name", "name")
            self.fields["building"].label_from_instance = lambda b: f"{b.site.name} · {b.name}"


class ResidentForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目"), queryset=Site.objects.none())
    building = forms.CharField(label=_("楼栋"), max_length=64)
    unit = forms.CharField(label=_("单元"), max_length=16, required=False)
    room = forms.CharField(label=_("房号"), max_length=16)
    name = forms.CharField(label=_("姓名"), max_length=64)
    # Room for how people write them (spaces, +86); the service normalises and validates.
    phone = forms.CharField(label=_("手机号"), max_length=32, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=40, required=False)
    birth_year = forms.IntegerField(
        label=_("出生年份"), min_value=1900, max_value=2100, required=False
    )
    relation = forms.ChoiceField(label=_("关系"), choices=Resident.Relation.choices)
    lives_alone_elderly = forms.BooleanField(label=_("独居老人"), required=False)
    disabled = forms.BooleanField(label=_("残障"), required=False)
    chronic_illness = forms.BooleanField(label=_("慢性病"), required=False)
    pregnant = forms.BooleanField(label=_("孕妇"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = self.sites("estates.change_resident")
        if self.instance is not None:
            # Stored values are never sent back to the browser: blank keeps them.
            self.fields["phone"].widget.attrs["placeholder"] = self.instance.phone_masked or ""
            self.fields["id_number"].widget.attrs["placeholder"] = (
                self.instance.id_number_masked or ""
            )
            self.fields["phone"].help_text = _("留空则不修改")
            self.fields["id_number"].help_text = _("留空则不修改")

    def initial_from(self, instance) -> dict:
        household = instance.household
        return {
            "site": instance.site_id,
            "building": household.building.name,
            "unit": household.unit,
            "room": household.room,
            "name": instance.name,
            "birth_year": instance.birth_year,
            "relation": instance.relation,
            **{f: getattr(instance, f) for f in Resident.VULNERABILITY_FIELDS},
        }


class StaffForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目"), queryset=Site.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(label=_("手机号"), max_length=32, required=False)
    position = forms.ChoiceField(label=_("岗位"), choices=Staff.Position.choices)
    on_duty = forms.BooleanField(label=_("在岗"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = self.sites("estates.change_staff")
        if self.instance is not None:
            del self.fields["site"]
            self.fields["phone"].widget.attrs["placeholder"] = self.instance.phone_masked or ""
            self.fields["phone"].help_text = _("留空则不修改")


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("身份证号")), ("phone", _("手机号"))])
    purpose = forms.CharField(label=_("查看用途"), max_length=200, min_length=4)


class ResidentImportForm(forms.Form):
    site = forms.ModelChoiceField(label=_("导入到项目"), queryset=Site.objects.none())
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    add_rooms = forms.BooleanField(
        label=_("登记名单中缺少的楼栋和房号"),
        required=False,
        help_text=_("不勾选时，未登记的房号算作错误；勾选后按名单新建楼栋和住户。"),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.for_scope(
            scope.for_perm("estates.import_resident")
        ).order_by("name")
        self.fields["site"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"
        self.fields["add_rooms"].widget.attrs["class"] = "form-check-input"

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的文件。"))
        if f.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 20 MB。"))
        return f
