"""Forms of the volunteers pages: they validate input and limit every choice to the
user's scope; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.estates.models import Site, Staff
from firstline.orgs.models import Company
from firstline.supplies.models import Item
from firstline.volunteers.models import (
    Availability,
    Deployment,
    ExposureIncident,
    Shift,
    Skill,
    Symptom,
    TaskType,
    Team,
    Volunteer,
)
from firstline.volunteers.selectors import people
from firstline.volunteers.services.support import SUPPORT_SITE_TYPES

MANAGE = "volunteers.manage_duty"
CHECK = "volunteers.record_check"
CHANGE = "volunteers.change_volunteer"
VET = "volunteers.vet_volunteer"


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class TimeInput(forms.TimeInput):
    input_type = "time"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        css = (
            "form-check-input"
            if isinstance(widget, forms.CheckboxInput)
            else ("form-select" if isinstance(widget, forms.Select) else "form-control")
        )
        widget.attrs.setdefault("class", css)


class SignUpFields(forms.Form):
    """What a volunteer tells us: the public page and the company's form alike."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(label=_("手机号"), max_length=20)
    id_number = forms.CharField(label=_("身份证号"), max_length=24)
    skills = forms.MultipleChoiceField(
        label=_("技能"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(
        label=_("语言"), max_length=100, required=False, help_text=_("如：普通话、武汉话、英语")
    )
    availability = forms.ChoiceField(label=_("可服务时间"), choices=Availability.choices)
    availability_note = forms.CharField(label=_("时间说明"), max_length=200, required=False)
    emergency_name = forms.CharField(label=_("紧急联系人"), max_length=64)
    emergency_phone = forms.CharField(label=_("紧急联系人电话"), max_length=20)
    healthy = forms.BooleanField(label=_("本人近14天无发热、咳嗽等症状"), required=False)
    no_contact = forms.BooleanField(label=_("本人近14天未接触确诊或疑似病例"), required=False)
    health_note = forms.CharField(label=_("健康说明"), max_length=200, required=False)

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            k: d.get(k)
            for k in (
                "name",
                "skills",
                "languages",
                "availability",
                "availability_note",
                "emergency_name",
                "healthy",
                "no_contact",
                "health_note",
            )
        }


class PublicSignUpForm(SignUpFields):
    consent_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    agreed = forms.BooleanField(label=_("我已阅读并同意上面的知情同意书"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CompanySignUpForm(ScopedForm, SignUpFields):
    company = forms.ModelChoiceField(label=_("企业"), queryset=Company.objects.none())
    consent_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    agreed = forms.BooleanField(label=_("本人已向报名者宣读知情同意书并取得其同意"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.scope.for_perm(CHANGE).ids("company")
        self.fields["company"].queryset = Company.objects.filter(pk__in=ids).order_by("name")


class VetForm(ScopedForm):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("通过")), ("reject", _("不通过"))]
    )
    username = forms.CharField(
        label=_("关联已有登录名"),
        max_length=150,
        required=False,
        help_text=_("留空则新建登录账号 v+编号，初始密码只显示一次"),
    )
    note = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class InsuranceForm(ScopedForm):
    insurer = forms.CharField(label=_("保险公司"), max_length=100)
    policy_no = forms.CharField(label=_("保单号"), max_length=64)
    insured_from = forms.DateField(label=_("保险起始"), widget=DateInput)
    insured_to = forms.DateField(label=_("保险截止"), widget=DateInput)


class TeamForm(ScopedForm):
    name = forms.CharField(label=_("队名"), max_length=64)


class TeamMemberForm(ScopedForm):
    volunteer = forms.ModelChoiceField(label=_("志愿者"), queryset=Volunteer.objects.none())
    leader = forms.BooleanField(label=_("设为队长"), required=False)

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Volunteer.objects.for_scope(self.scope.for_perm(VET)).filter(
            state=Volunteer.State.APPROVED
        )
        if team is not None:
            qs = qs.filter(association_id=team.association_id)
        self.fields["volunteer"].queryset = qs.order_by("name")
        self.fields["volunteer"].label_from_instance = lambda v: f"{v.name} {v.phone_masked}"


class DeploymentForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目/点位"), queryset=Site.objects.none())
    volunteer = forms.ModelChoiceField(
        label=_("志愿者"), queryset=Volunteer.objects.none(), required=False
    )
    staff = forms.ModelChoiceField(label=_("员工"), queryset=Staff.objects.none(), required=False)
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput)
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput)
    duty = forms.CharField(label=_("岗位"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.scope.for_perm(MANAGE)
        self.fields["site"].queryset = Site.objects.for_scope(scope).order_by("name", "id")
        self.fields["staff"].queryset = Staff.objects.for_scope(scope).order_by("name", "id")
        self.fields["volunteer"].queryset = (
            Volunteer.objects.for_scope(self.scope.for_perm("volunteers.view_volunteer"))
            .filter(state=Volunteer.State.APPROVED)
            .order_by("name", "id")
        )
        self.fields["volunteer"].label_from_instance = lambda v: f"{v.name} {v.phone_masked}"


class VolunteerSendForm(ScopedForm):
    """The coordinator sends one of the association's volunteers to a member
    company's hospital or isolation point; the site plans the shifts."""

    site = forms.ModelChoiceField(label=_("医院/隔离点"), queryset=Site.objects.none())
    volunteer = forms.ModelChoiceField(label=_("志愿者"), queryset=Volunteer.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput)
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput)
    duty = forms.CharField(label=_("岗位"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = people.sites_to_send_to(self.scope).order_by("name", "id")
        self.fields["volunteer"].queryset = people.volunteers_to_send(self.scope).order_by(
            "name", "id"
        )
        self.fields["volunteer"].label_from_instance = lambda v: f"{v.name} {v.phone_masked}"


class ShiftsForm(ScopedForm):
    first_day = forms.DateField(label=_("第一天"), widget=DateInput)
    last_day = forms.DateField(label=_("最后一天"), widget=DateInput)
    start = forms.TimeField(label=_("上班时间"), widget=TimeInput)
    end = forms.TimeField(
        label=_("下班时间"), widget=TimeInput, help_text=_("早于上班时间即为次日")
    )


def _deployments(scope, perm: str, site_types=None):
    qs = Deployment.objects.for_scope(scope.for_perm(perm)).filter(state=Deployment.State.ACTIVE)
    if site_types:
        qs = qs.filter(site__site_type__in=site_types)
    return qs.select_related("site").order_by("site__name", "person_name")


def _label(d) -> str:
    return f"{d.person_name} · {d.site.name}"


class TaskForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("医院/隔离点"), queryset=Site.objects.none())
    task_type = forms.ModelChoiceField(label=_("类型"), queryset=TaskType.objects.all())
    title = forms.CharField(label=_("内容"), max_length=200, required=False)
    location = forms.CharField(label=_("地点"), max_length=100, required=False)
    due_at = forms.DateTimeField(label=_("截止时间"), widget=DateTimeInput)
    assignee = forms.ModelChoiceField(
        label=_("执行人"), queryset=Deployment.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.scope.for_perm(MANAGE)
        self.fields["site"].queryset = (
            Site.objects.for_scope(scope)
            .filter(site_type__in=SUPPORT_SITE_TYPES)
            .order_by("name", "id")
        )
        self.fields["assignee"].queryset = _deployments(self.scope, MANAGE, SUPPORT_SITE_TYPES)
        self.fields["assignee"].label_from_instance = _label


class ReadyForm(forms.Form):
    weight_kg = forms.DecimalField(
        label=_("重量（公斤）"), max_digits=7, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["weight_kg"].widget.attrs.update(inputmode="decimal", step="0.01")


class HandoverForm(forms.Form):
    receiver_name = forms.CharField(label=_("接收人签名（姓名）"), max_length=64)
    receiver_unit = forms.CharField(label=_("接收单位"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class HandoverCodeForm(forms.Form):
    code = forms.CharField(label=_("交接码"), max_length=8, min_length=6)
    site_code = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["code"].widget.attrs.update(inputmode="numeric", autocomplete="off")


class CheckForm(ScopedForm):
    deployment = forms.ModelChoiceField(label=_("在岗人员"), queryset=Deployment.objects.none())
    temperature = forms.DecimalField(
        label=_("体温（℃）"), max_digits=3, decimal_places=1, min_value=30, max_value=45
    )
    symptoms = forms.MultipleChoiceField(
        label=_("症状"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deployment"].queryset = _deployments(self.scope, CHECK)
        self.fields["deployment"].label_from_instance = _label


class KitForm(ScopedForm):
    deployment = forms.ModelChoiceField(label=_("领用人"), queryset=Deployment.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.all())
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=1000)
    shift = forms.ModelChoiceField(label=_("班次"), queryset=Shift.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deployment"].queryset = _deployments(self.scope, MANAGE)
        self.fields["deployment"].label_from_instance = _label
        self.fields["shift"].queryset = (
            Shift.objects.for_scope(self.scope.for_perm(MANAGE))
            .filter(state=Shift.State.PLANNED)
            .order_by("-starts_at")
        )
        self.fields["item"].queryset = Item.objects.order_by("name")


class IncidentForm(ScopedForm):
    deployment = forms.ModelChoiceField(label=_("当事人"), queryset=Deployment.objects.none())
    occurred_at = forms.DateTimeField(label=_("发生时间"), widget=DateTimeInput)
    kind = forms.ChoiceField(label=_("类型"), choices=ExposureIncident.Kind.choices)
    description = forms.CharField(label=_("经过"), widget=forms.Textarea(attrs={"rows": 3}))
    action_taken = forms.CharField(label=_("处置"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deployment"].queryset = _deployments(self.scope, MANAGE)
        self.fields["deployment"].label_from_instance = _label


class FollowUpForm(ScopedForm):
    note = forms.CharField(label=_("跟进情况"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("结果"), choices=ExposureIncident.Outcome.choices)
    close = forms.BooleanField(label=_("结案"), required=False)


class InfectionForm(ScopedForm):
    site = forms.ModelChoiceField(label=_("项目"), queryset=Site.objects.none())
    day = forms.DateField(label=_("日期"), widget=DateInput)
    infections = forms.IntegerField(
        label=_("感染人数"), min_value=0, max_value=100000, help_text=_("没有感染请填 0")
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.for_scope(self.scope.for_perm(MANAGE)).order_by(
            "name", "id"
        )
