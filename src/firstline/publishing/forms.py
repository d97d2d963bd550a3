"""A company's edition of a guide: which guide (a live national one), for which of
the user's companies, its name and the company's additions. The services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.orgs.models import Company
from firstline.publishing.selectors.guides import live_guides
from firstline.publishing.services.guides import ADDITIONS_MAX, edition_companies


class EditionForm(ScopedForm):
    title = forms.CharField(label=_("版本名称"), max_length=120)
    additions = forms.CharField(
        label=_("本企业补充要求"),
        required=False,
        max_length=ADDITIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("纯文本，空行分段；显示在全国版正文之后。"),
    )


class EditionCreateForm(EditionForm):
    guide = forms.ModelChoiceField(label=_("全国版指引"), queryset=live_guides())
    company = forms.TypedChoiceField(label=_("企业"), coerce=int)

    field_order = ["guide", "company", "title", "additions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = edition_companies(self.scope)
        self.fields["company"].choices = list(
            Company.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name")
        )
        if len(ids) == 1:
            self.fields["company"].initial = ids[0]
            self.fields["company"].widget = forms.HiddenInput()
        self.fields["guide"].label_from_instance = lambda g: f"{g.title}（v{g.version}）"
