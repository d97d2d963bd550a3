"""Editions of a guide, a company's and a local association's: which guide (a live
national one), for which of the user's companies or associations, its name and
additions; a company's may derive from its association's edition. The services
write (and check what a form offers)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.orgs.models import Association, Company
from firstline.publishing.selectors.guides import live_guides
from firstline.publishing.services.guides import (
    ADDITIONS_MAX,
    association_edition_associations,
    association_editions_for,
    edition_companies,
)


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

    association_edition = forms.TypedChoiceField(
        label=_("依据协会版"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("可选：从本企业所属协会的协会版派生，协会的补充要求一并显示。"),
    )

    field_order = ["guide", "company", "association_edition", "title", "additions"]

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
        offered = {}
        for company_id in ids:
            for edition in association_editions_for(self.scope, company_id).select_related(
                "association", "guide"
            ):
                offered[edition.pk] = f"{edition.association} · {edition.title}"
        self.fields["association_edition"].choices = [("", _("不依据协会版")), *offered.items()]
        if not offered:
            self.fields["association_edition"].widget = forms.HiddenInput()


class AssociationEditionForm(EditionForm):
    additions = forms.CharField(
        label=_("本协会补充要求"),
        required=False,
        max_length=ADDITIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("纯文本，空行分段；显示在全国版正文之后，会员企业的企业版也会显示。"),
    )


class AssociationEditionCreateForm(AssociationEditionForm):
    guide = forms.ModelChoiceField(label=_("全国版指引"), queryset=live_guides())
    association = forms.TypedChoiceField(label=_("协会"), coerce=int)

    field_order = ["guide", "association", "title", "additions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = association_edition_associations(self.scope)
        self.fields["association"].choices = list(
            Association.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name")
        )
        if len(ids) == 1:
            self.fields["association"].initial = ids[0]
            self.fields["association"].widget = forms.HiddenInput()
        self.fields["guide"].label_from_instance = lambda g: f"{g.title}（v{g.version}）"
