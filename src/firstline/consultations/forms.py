"""Forms of the consultation pages: they validate input and limit every choice to the
user's scope; the services write."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.consultations.models import Area, Category, Consultation, Expert
from firstline.consultations.selectors import threads
from firstline.consultations.selectors.threads import ASK, DESK
from firstline.core.roles import Target
from firstline.estates.forms import ScopedForm
from firstline.geo.models import Division
from firstline.orgs.models import Company, Membership


class ConsultForm(ScopedForm):
    """A scoped form whose lists of boxes (checkboxes, radios) stay plain: the class the
    base gives every widget would also style their wrapping list as one box."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
                field.widget.attrs.pop("class", None)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to a few files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


FILES_HELP = _("可选，最多 5 个：PDF、Word（.docx）或图片，每个不超过 10 MB")


class AskForm(ConsultForm):
    company = forms.ModelChoiceField(label=_("提问企业"), queryset=Company.objects.none())
    category = forms.ModelChoiceField(label=_("咨询类别"), queryset=Category.objects.none())
    region = forms.ModelChoiceField(
        label=_("所在地区"),
        queryset=Division.objects.none(),
        required=False,
        help_text=_("留空则为企业注册地"),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Consultation.Urgency.choices, initial="normal"
    )
    title = forms.CharField(label=_("标题"), max_length=120)
    description = forms.CharField(
        label=_("问题描述"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = MultipleFileField(label=_("附件"), help_text=FILES_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        companies = self.scope.for_perm(ASK).ids(Target.COMPANY)
        self.fields["company"].queryset = Company.objects.filter(pk__in=companies).order_by("name")
        if len(companies) == 1:
            self.fields["company"].initial = next(iter(companies))
        self.fields["category"].queryset = threads.categories_for(self.scope)
        self.fields["region"].queryset = Division.objects.filter(
            level=Division.Level.DISTRICT
        ).order_by("code")
        # The suggestions of published answers follow the title as it is typed (htmx).
        suggest = {
            "hx-get": reverse("consultations:suggest"),
            "hx-trigger": "input changed delay:500ms",
            "hx-target": "#faq-suggestions",
            "hx-include": "#id_title, #id_description",
            "hx-sync": "this:replace",
            "autocomplete": "off",
        }
        self.fields["title"].widget.attrs.update(suggest)
        self.fields["description"].widget.attrs.update(suggest)

    def clean(self):
        data = super().clean()
        company, category = data.get("company"), data.get("category")
        if (
            company
            and category
            and not Membership.objects.filter(
                company_id=company.pk, association_id=category.association_id
            ).exists()
        ):
            self.add_error("category", _("贵企业不是该协会的会员。"))
        return data


class ReplyForm(ConsultForm):
    body = forms.CharField(
        label=_("留言"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(label=_("附件"), help_text=FILES_HELP)


class CloseForm(ConsultForm):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(n, f"{n} ★") for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("评价"), max_length=200, required=False)


class AssignForm(ConsultForm):
    experts = forms.ModelMultipleChoiceField(
        label=_("专家"),
        queryset=Expert.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("有利益冲突或已停用的专家不在名单中；擅长该类别者在前，其次按在办数量"),
    )

    def __init__(self, *args, consultation: Consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices_rows = threads.experts_for(consultation, self.scope)
        field = self.fields["experts"]
        field.queryset = Expert.objects.for_scope(self.scope.for_perm(DESK)).filter(
            pk__in=[e.pk for e in self.choices_rows]
        )
        field.choices = [
            (
                e.pk,
                _("%(name)s（%(kind)s，在办 %(load)d/%(max)d%(fit)s）")
                % {
                    "name": e.name,
                    "kind": e.get_kind_display(),
                    "load": e.load,
                    "max": e.max_open,
                    "fit": _("，擅长此类") if e.fits else "",
                },
            )
            for e in self.choices_rows
        ]


class ExpertForm(ConsultForm):
    username = forms.CharField(
        label=_("登录名"),
        max_length=150,
        help_text=_("已有账号则关联；没有则新建，初始密码只显示一次"),
    )
    name = forms.CharField(label=_("姓名"), max_length=64)
    kind = forms.ChoiceField(label=_("类型"), choices=Expert.Kind.choices)
    organisation = forms.CharField(label=_("所在机构"), max_length=100, required=False)
    areas = forms.MultipleChoiceField(
        label=_("擅长领域"),
        choices=Area.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    max_open = forms.IntegerField(label=_("同时办理上限"), min_value=1, max_value=100, initial=5)


class ExpertEditForm(ExpertForm):
    active = forms.BooleanField(label=_("接受分派"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["username"]


class ConflictForm(ConsultForm):
    company = forms.ModelChoiceField(label=_("企业"), queryset=Company.objects.none())
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args, expert: Expert, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(association_id=expert.association_id).values(
            "company_id"
        )
        self.fields["company"].queryset = Company.objects.filter(pk__in=members).order_by("name")


class CategoryForm(ConsultForm):
    first_reply_hours = forms.IntegerField(
        label=_("首次答复时限（小时）"), min_value=1, max_value=720
    )
    resolution_hours = forms.IntegerField(label=_("办结时限（小时）"), min_value=1, max_value=2160)
    active = forms.BooleanField(label=_("启用"), required=False)


class FaqDraftForm(ConsultForm):
    question = forms.CharField(label=_("问题"), max_length=200)
    answer = forms.CharField(
        label=_("回答"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("不要出现企业名称、人名和能识别企业的细节"),
    )


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SessionForm(ConsultForm):
    expert = forms.ModelChoiceField(label=_("主讲专家"), queryset=Expert.objects.none())
    topic = forms.CharField(label=_("主题"), max_length=120)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    duration_minutes = forms.IntegerField(
        label=_("时长（分钟）"), min_value=15, max_value=480, initial=60
    )
    meeting_link = forms.URLField(label=_("会议链接"), max_length=300, assume_scheme="https")
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000, initial=100)
    description = forms.CharField(
        label=_("简介"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = (
            Expert.objects.for_scope(self.scope.for_perm(DESK)).filter(active=True).order_by("name")
        )


class RegisterForm(ConsultForm):
    question = forms.CharField(
        label=_("会前问题"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("可选：希望专家在会上解答的问题"),
    )
