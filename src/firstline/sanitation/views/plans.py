"""Guide library and plan pages: the association's guides (shared reference data,
read by everyone who plans disinfection, revised by the association), the company's
overrides, a site's areas with their printable QR codes, the site's plan and the
"apply the guide" action, and the edit of one plan entry. Tenant pages are declared
on the scoped base views; each write calls one service."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.views import (
    ForgivingPaginationMixin,
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    apply_errors,
    row_id,
)
from firstline.estates.models import Site
from firstline.estates.views.site_filter import SiteFilterMixin
from firstline.publishing.selectors.guides import public_guide_urls
from firstline.sanitation.forms import (
    PLAN_PERMISSION,
    AreaForm,
    GuideReviseForm,
    OverrideForm,
    PlanEntryForm,
    guide_type_choices,
)
from firstline.sanitation.models import Area, Guide, GuideItem, ItemOverride, PlanEntry
from firstline.sanitation.services import guides, plans

GUIDE_PERMISSION = "sanitation.change_guide"
OVERRIDE_PERMISSION = "sanitation.change_override"
# Who may read the library: those who revise it, override it or plan from it.
GUIDE_READERS = (GUIDE_PERMISSION, OVERRIDE_PERMISSION, PLAN_PERMISSION)


def area_url(request, area) -> str:
    """The cleaner's page of the area, which the posted QR code opens."""
    try:
        path = reverse("sanitation:area_tasks", args=[area.qr_token])
    except NoReverseMatch:  # the cleaner's pages are wired separately
        path = f"/sanitation/a/{area.qr_token}/"
    return request.build_absolute_uri(path)


def qr_svg(url: str) -> str:
    # segno draws our own URL (an unguessable token): nothing user-typed goes in.
    return segno.make(url, micro=False, error="m").svg_inline(scale=4, border=2)


# --- the guide library (shared) ---------------------------------------------------------------


class GuideReaderMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not any(
            request.scope.has_perm(p) for p in GUIDE_READERS
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class GuideList(ForgivingPaginationMixin, GuideReaderMixin, generic.ListView):
    """Every site type's guide with its versions, the current one first."""

    model = Guide
    template_name = "sanitation/guide_list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = Guide.objects.select_related("published_by").annotate(item_count=Count("items"))
        site_type = self.request.GET.get("site_type", "")
        if site_type in guides.GUIDE_SITE_TYPES:
            qs = qs.filter(site_type=site_type)
        return qs.order_by("site_type", "-version")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            type_choices=guide_type_choices(),
            type_labels=dict(Site.Type.choices),
            site_type=self.request.GET.get("site_type", ""),
            can_revise=self.request.scope.has_perm(GUIDE_PERMISSION),
        )
        public = public_guide_urls()  # the association's full guide of each site type
        for guide in ctx["object_list"]:
            guide.public_guide = public.get(guide.site_type)
        return ctx


class GuideDetail(GuideReaderMixin, generic.DetailView):
    model = Guide
    template_name = "sanitation/guide_detail.html"
    context_object_name = "guide"

    def get_queryset(self):
        return Guide.objects.select_related("published_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            items=GuideItem.objects.filter(guide=self.object).order_by("order", "id"),
            versions=Guide.objects.filter(site_type=self.object.site_type).order_by("-version")[
                :50
            ],
            type_label=dict(Site.Type.choices).get(self.object.site_type, ""),
            can_revise=self.object.current and self.request.scope.has_perm(GUIDE_PERMISSION),
            public_guide=public_guide_urls().get(self.object.site_type),
        )
        return ctx


class GuideRevise(LoginRequiredMixin, generic.FormView):
    """Copy the current version, change (or add, or remove) one item, publish as the next.
    ?code= picks the item to start from."""

    form_class = GuideReviseForm
    template_name = "sanitation/guide_revise.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.scope.has_perm(GUIDE_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def guide(self) -> Guide:
        return get_object_or_404(Guide, pk=self.kwargs["pk"], current=True)

    def get_initial(self):
        code = self.request.GET.get("code", "")
        item = GuideItem.objects.filter(guide=self.guide, code=code).values().first()
        return item or {}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(guide=self.guide, title=_("修订指引"), cancel_url=self.guide.get_absolute_url())
        return ctx

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        code, remove = data.pop("code"), data.pop("remove")
        try:
            new = guides.guide_item_revise(
                actor=self.request.user, guide=self.guide, code=code, fields=data, remove=remove
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已发布第 %(v)d 版。") % {"v": new.version})
        return redirect(new.get_absolute_url())


# --- overrides (the company's) ------------------------------------------------------------------


class OverrideList(ScopedListView):
    model = ItemOverride
    permission = OVERRIDE_PERMISSION
    template_name = "sanitation/override_list.html"
    table_template = "sanitation/_override_table.html"
    title = gettext_lazy("企业调整")
    create_url_name = "sanitation:override_create"
    search_fields = ("code__icontains", "reason__icontains")
    filters = ("site_type",)

    def refine_list(self, qs):
        return qs.select_related("company").order_by("site_type", "code", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            filter_choices={"site_type": guide_type_choices()},
            type_labels=dict(Site.Type.choices),
            can_create=True,
        )
        return ctx


class OverrideFormView(ObjectFormView):
    model = ItemOverride
    form_instance = True
    permission = OVERRIDE_PERMISSION
    form_class = OverrideForm

    def get_initial(self):
        return {k: v for k, v in self.request.GET.items() if k in ("site_type", "code")}

    def company_id(self) -> int:
        if self.object is not None:
            return self.object.company_id
        companies = sorted(self.scope.ids("company"))
        if not companies:
            raise PermissionDenied
        return companies[0]

    def act(self, form):
        data = dict(form.cleaned_data)
        site_type, code = data.pop("site_type"), data.pop("code")
        if self.object is not None:
            site_type, code = self.object.site_type, self.object.code
        guides.override_set(
            actor=self.request.user,
            company_id=self.company_id(),
            site_type=site_type,
            code=code,
            **data,
        )
        return reverse("sanitation:override_list")

    def cancel_url(self) -> str:
        return reverse("sanitation:override_list")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = (
            _("调整条目 %(code)s") % {"code": self.object.code}
            if self.object
            else _("新建企业调整")
        )
        return ctx


# --- areas ------------------------------------------------------------------------------------


class AreaList(SiteFilterMixin, ScopedListView):
    model = Area
    permission = PLAN_PERMISSION
    template_name = "sanitation/area_list.html"
    table_template = "sanitation/_area_table.html"
    title = gettext_lazy("消杀区域")
    create_url_name = "sanitation:area_create"
    search_fields = ("name__icontains",)
    filters = ("kind",)

    def refine_list(self, qs):
        qs = qs.select_related("site", "building").annotate(
            entry_count=Count("entries", filter=Q(entries__active=True))
        )
        return self.site_filter(qs).order_by("site__name", "kind", "name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["kind_choices"] = Area._meta.get_field("kind").choices
        return ctx


class AreaQRSheet(SiteFilterMixin, ScopedListView):
    """A printable sheet: each area's name and the QR code of its cleaner page."""

    model = Area
    permission = PLAN_PERMISSION
    template_name = "sanitation/area_qr.html"
    table_template = "sanitation/_area_qr_cards.html"
    title = gettext_lazy("区域二维码")
    paginate_by = 25

    def refine_list(self, qs):
        qs = qs.filter(active=True).select_related("site", "building")
        return self.site_filter(qs).order_by("site__name", "kind", "name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        cards = []
        for area in ctx["object_list"]:
            url = area_url(self.request, area)
            cards.append({"area": area, "url": url, "svg": qr_svg(url)})
        ctx["cards"] = cards
        return ctx


class AreaDetail(HistoryMixin, ScopedDetailView):
    model = Area
    permission = PLAN_PERMISSION
    template_name = "sanitation/area_detail.html"
    context_object_name = "area"

    def refine(self, qs):
        return qs.select_related("site", "building", "device")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            entries=PlanEntry.objects.for_scope(self.scope)
            .filter(area_id=self.object.pk)
            .order_by("-active", "code"),
            qr_url=area_url(self.request, self.object),
        )
        ctx["qr_svg"] = qr_svg(ctx["qr_url"])
        return ctx


class AreaFormView(ObjectFormView):
    model = Area
    form_instance = True
    permission = PLAN_PERMISSION
    form_class = AreaForm

    def get_initial(self):
        site = row_id(self.request.GET.get("site"))
        return {"site": site} if site is not None else {}

    def act(self, form):
        data = dict(form.cleaned_data)
        if self.object is None:
            data.pop("active", None)
            area = plans.area_create(actor=self.request.user, **data)
        else:
            data.pop("site", None)
            site = Site.objects.for_scope(self.scope).get(pk=self.object.site_id)
            area = plans.area_edit(actor=self.request.user, area=self.object, site=site, **data)
        return area.get_absolute_url()

    def cancel_url(self) -> str:
        return self.object.get_absolute_url() if self.object else reverse("sanitation:area_list")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("编辑区域") if self.object else _("新建消杀区域")
        return ctx


# --- a site's plan ------------------------------------------------------------------------------


class SitePlan(ScopedDetailView):
    """The site's areas with their active entries, and the "apply the guide" button."""

    model = Site
    permission = PLAN_PERMISSION
    template_name = "sanitation/plan_site.html"
    context_object_name = "site"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        site = self.object
        entries = (
            PlanEntry.objects.for_scope(self.scope)
            .filter(site_id=site.pk, active=True)
            .select_related("area")
            .order_by("area__kind", "area__name", "code")
        )
        ctx.update(
            entries=entries,
            area_count=Area.objects.for_scope(self.scope).filter(site_id=site.pk).count(),
            guide=guides.current_guide(site.site_type),
            type_label=dict(Site.Type.choices).get(site.site_type, ""),
        )
        return ctx


class PlanApply(ScopedViewMixin, generic.View):
    """POST: apply the current guide to the site (idempotent)."""

    model = Site
    permission = PLAN_PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        site = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            counts = plans.plan_apply(actor=request.user, site=site)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "已按指引生成计划：新增 %(created)d 项，更新 %(updated)d 项，停用 %(deactivated)d 项。"
                )
                % counts,
            )
        return redirect("sanitation:plan_site", pk=site.pk)


class PlanEntryEdit(ObjectFormView):
    model = PlanEntry
    form_instance = True
    permission = PLAN_PERMISSION
    form_class = PlanEntryForm

    def act(self, form):
        plans.plan_entry_edit(
            actor=self.request.user, entry=self.object, fields=dict(form.cleaned_data)
        )
        return reverse("sanitation:area_detail", args=[self.object.area_id])

    def cancel_url(self) -> str:
        return reverse("sanitation:area_detail", args=[self.object.area_id])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("编辑计划：%(title)s") % {"title": self.object.title}
        return ctx
