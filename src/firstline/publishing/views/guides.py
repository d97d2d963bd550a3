"""Guides: the public print layout and lobby poster of a live guide, and a company's
editions of the national guides (signed in, the company's own rows)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.views import (
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
)
from firstline.publishing.forms import (
    AssociationEditionCreateForm,
    AssociationEditionForm,
    EditionCreateForm,
    EditionForm,
)
from firstline.publishing.models import AssociationEdition, GuideEdition
from firstline.publishing.selectors.guides import (
    guide_changes_since,
    guide_chapters,
    live_guide,
)
from firstline.publishing.services import guides, pdf

VIEW = "publishing.view_edition"
CHANGE = "publishing.change_edition"
ASSOCIATION_VIEW = guides.ASSOCIATION_VIEW
ASSOCIATION_CHANGE = guides.ASSOCIATION_CHANGE


# --- public: print and poster ---------------------------------------------------------------


def _guide_or_404(pk: int):
    guide = live_guide(pk)
    if guide is None:
        raise Http404
    return guide


def guide_print(request, pk: int):
    """The whole guide, chapters and sections, on A4 (print.css); no site navigation."""
    guide = _guide_or_404(pk)
    return render(
        request,
        "publishing/guide_print.html",
        {
            "guide": guide,
            "chapters": guide_chapters(guide),
            "printed_at": timezone.now(),
            "back_url": guide.url,
        },
    )


def guide_poster(request, pk: int):
    """An A4 poster for lobbies: title, site type, the poster points, a QR code to the
    guide's public page (?src=poster), version and date."""
    guide = _guide_or_404(pk)
    url = request.build_absolute_uri(guide.url) + "?src=poster"
    data = pdf.guide_poster_pdf(guide=guide, url=url)
    return FileResponse(
        io.BytesIO(data),
        content_type="application/pdf",
        filename=f"guide-{guide.pk}-poster.pdf",
    )


# --- signed in: a company's editions --------------------------------------------------------


class EditionList(ScopedListView):
    model = GuideEdition
    permission = VIEW
    title = gettext_lazy("企业版指引")
    table_template = "publishing/_edition_table.html"
    search_fields = ("title__icontains", "guide__title__icontains")
    create_url_name = "publishing_members:edition_create"

    def refine_list(self, qs):
        return qs.select_related("guide", "company").order_by("guide__path", "company_id")


class EditionDetail(ScopedDetailView):
    """The national text at its current live version, the company's additions, and
    what the association changed since the edition was derived (or last rebased)."""

    model = GuideEdition
    permission = VIEW
    template_name = "publishing/edition_detail.html"
    context_object_name = "edition"

    def refine(self, qs):
        return qs.select_related(
            "guide", "company", "based_on_revision", "association_edition__association"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        edition = self.object
        guide = edition.guide
        changes = guide_changes_since(guide.pk, edition.based_on_revision)
        parent = edition.association_edition
        ctx.update(
            guide=guide,
            guide_live=guide.live,
            chapters=guide_chapters(guide) if guide.live else [],
            changes=changes,
            association_edition=parent,
            association_changed=bool(
                parent
                and parent.additions_changed_at
                and (
                    edition.association_seen_at is None
                    or parent.additions_changed_at > edition.association_seen_at
                )
            ),
            can_edit=self.request.scope.has_perm(CHANGE),
            rebase_url=reverse("publishing_members:edition_rebase", args=[edition.pk]),
            edit_url=reverse("publishing_members:edition_edit", args=[edition.pk]),
            list_url=reverse("publishing_members:edition_list"),
            owner=edition.company.name,
            additions_label=gettext_lazy("本企业补充要求"),
            title=edition.title,
        )
        return ctx


class EditionCreate(ServiceFormView):
    model = GuideEdition
    permission = CHANGE
    form_class = EditionCreateForm
    title = gettext_lazy("新建企业版指引")
    success_message = gettext_lazy("企业版指引已建立。")
    cancel_url_name = "publishing_members:edition_list"

    def get_initial(self):
        initial = super().get_initial()
        guide = live_guide(_int(self.request.GET.get("guide")))
        if guide is not None:
            initial.update(guide=guide.pk, title=f"{guide.title}（本企业版）")
        return initial

    def act(self, form):
        data = form.cleaned_data
        parent = None
        if data.get("association_edition"):
            parent = (
                AssociationEdition.objects.for_scope(self.scope)
                .filter(pk=data["association_edition"])
                .first()
            )
            if parent is None:
                raise ValidationError({"association_edition": gettext_lazy("协会版不存在。")})
        return guides.edition_create(
            actor=self.request.user,
            scope=self.scope,
            company_id=data["company"],
            guide=data["guide"],
            title=data["title"],
            additions=data["additions"],
            association_edition=parent,
        )


class EditEdition(ObjectFormView):
    """An edition's title and additions. Subclasses name the edition model, its
    permission, form and title, and the service."""

    form_instance = True
    update = None  # staticmethod(service(*, actor, scope, edition, title, additions) -> edition)

    def act(self, form):
        return self.update(
            actor=self.request.user,
            scope=self.scope,
            edition=self.object,
            title=form.cleaned_data["title"],
            additions=form.cleaned_data["additions"],
        )


class EditionEdit(EditEdition):
    model = GuideEdition
    permission = CHANGE
    form_class = EditionForm
    title = gettext_lazy("修改企业版指引")
    update = staticmethod(guides.edition_update)


class AdoptNationalVersion(ScopedViewMixin, generic.View):
    """POST (the page asks first): an edition adopts the national guide's current
    version. Subclasses name the edition model, its permission and the service."""

    http_method_names = ["post"]
    adopt = None  # staticmethod(service(*, actor, scope, edition) -> edition)

    def post(self, request, pk):
        edition = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            edition = self.adopt(actor=request.user, scope=self.scope, edition=edition)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                gettext_lazy("已采纳全国版 v%(v)s。") % {"v": edition.based_on_version},
            )
        return redirect(edition)


class EditionRebase(AdoptNationalVersion):
    model = GuideEdition
    permission = CHANGE
    adopt = staticmethod(guides.edition_rebase)


def _int(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**31 else 0


# --- signed in: a local association's editions ----------------------------------------------


class AssociationEditionList(ScopedListView):
    model = AssociationEdition
    permission = ASSOCIATION_VIEW
    title = gettext_lazy("协会版指引")
    table_template = "publishing/_association_edition_table.html"
    search_fields = ("title__icontains", "guide__title__icontains")
    create_url_name = "publishing_members:association_edition_create"

    def refine_list(self, qs):
        return qs.select_related("guide", "association").order_by("guide__path", "association_id")


class AssociationEditionDetail(ScopedDetailView):
    """As a company's edition: the national text now, the association's additions,
    the national changes since; and how many member companies derive from it."""

    model = AssociationEdition
    permission = ASSOCIATION_VIEW
    template_name = "publishing/edition_detail.html"
    context_object_name = "edition"

    def refine(self, qs):
        return qs.select_related("guide", "association", "based_on_revision")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        edition = self.object
        guide = edition.guide
        ctx.update(
            guide=guide,
            guide_live=guide.live,
            chapters=guide_chapters(guide) if guide.live else [],
            changes=guide_changes_since(guide.pk, edition.based_on_revision),
            derived_count=edition.company_editions.count(),
            can_edit=self.request.scope.has_perm(ASSOCIATION_CHANGE),
            rebase_url=reverse("publishing_members:association_edition_rebase", args=[edition.pk]),
            edit_url=reverse("publishing_members:association_edition_edit", args=[edition.pk]),
            list_url=reverse("publishing_members:association_edition_list"),
            owner=str(edition.association),
            additions_label=gettext_lazy("本协会补充要求"),
            title=edition.title,
        )
        return ctx


class AssociationEditionCreate(ServiceFormView):
    model = AssociationEdition
    permission = ASSOCIATION_CHANGE
    form_class = AssociationEditionCreateForm
    title = gettext_lazy("新建协会版指引")
    success_message = gettext_lazy("协会版指引已建立。")
    cancel_url_name = "publishing_members:association_edition_list"

    def get_initial(self):
        initial = super().get_initial()
        guide = live_guide(_int(self.request.GET.get("guide")))
        if guide is not None:
            initial.update(guide=guide.pk, title=f"{guide.title}（本协会版）")
        return initial

    def act(self, form):
        data = form.cleaned_data
        return guides.association_edition_create(
            actor=self.request.user,
            scope=self.scope,
            association_id=data["association"],
            guide=data["guide"],
            title=data["title"],
            additions=data["additions"],
        )


class AssociationEditionEdit(EditEdition):
    model = AssociationEdition
    permission = ASSOCIATION_CHANGE
    form_class = AssociationEditionForm
    title = gettext_lazy("修改协会版指引")
    update = staticmethod(guides.association_edition_update)


class AssociationEditionRebase(AdoptNationalVersion):
    model = AssociationEdition
    permission = ASSOCIATION_CHANGE
    adopt = staticmethod(guides.association_edition_rebase)
