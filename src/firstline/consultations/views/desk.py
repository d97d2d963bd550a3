"""The association's desk: its experts (load, areas, conflicts of interest), the
categories' service levels, FAQ drafts from resolved consultations and their
approval, and the figures with their Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.http import require_POST

from firstline.consultations.forms import (
    CategoryForm,
    ConflictForm,
    ExpertEditForm,
    ExpertForm,
    FaqDraftForm,
)
from firstline.consultations.models import Category, Consultation, Expert, FaqDraft
from firstline.consultations.selectors import faq as faq_selectors
from firstline.consultations.selectors import figures as figure_selectors
from firstline.consultations.selectors import threads
from firstline.consultations.selectors.threads import DESK
from firstline.consultations.services import exporting, faq, pool
from firstline.core.roles import Target
from firstline.core.services import ExportColumn
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
)
from firstline.orgs.models import Association

# --- experts ------------------------------------------------------------------------------


class ExpertList(ScopedListView):
    model = Expert
    permission = DESK
    table_template = "consultations/_expert_table.html"
    title = _("咨询专家库")
    filters = ("kind", "active")
    search_fields = ("name__icontains", "organisation__icontains")
    export_columns = (
        ExportColumn(_("姓名"), "name", 10),
        ExportColumn(_("类型"), "get_kind_display", 12),
        ExportColumn(_("所在机构"), "organisation", 24),
        ExportColumn(_("擅长领域"), lambda e: "、".join(e.area_labels), 30),
        ExportColumn(_("在办"), "load", 8),
        ExportColumn(_("同时办理上限"), "max_open", 10),
    )

    def refine_list(self, qs):
        return qs.annotate(load=threads.open_load()).order_by("name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {
            "kind": Expert.Kind.choices,
            "active": [("true", _("接受分派")), ("false", _("暂停"))],
        }
        ctx["can_create"] = True
        ctx["create_url_name"] = "consultations:expert_create"
        return ctx


def _association(scope) -> Association:
    ids = sorted(scope.for_perm(DESK).ids(Target.ASSOCIATION))
    return Association.objects.get(pk=ids[0])


class ExpertCreate(ServiceFormView):
    model = Expert
    permission = DESK
    form_class = ExpertForm
    title = _("添加咨询专家")
    cancel_url_name = "consultations:expert_list"

    def act(self, form):
        d = form.cleaned_data
        expert, password = pool.expert_create(
            actor=self.request.user,
            association=_association(self.scope),
            name=d["name"],
            kind=d["kind"],
            areas=d["areas"],
            max_open=d["max_open"],
            organisation=d["organisation"],
            username=d["username"],
        )
        if password:
            messages.info(
                self.request,
                _("已新建登录账号 %(u)s，初始密码 %(p)s（只显示这一次，请转告本人）")
                % {"u": d["username"], "p": password},
            )
        return expert


class ExpertDetail(HistoryMixin, ScopedDetailView):
    model = Expert
    permission = DESK
    template_name = "consultations/expert_detail.html"

    def history_company_id(self, obj):
        return None

    def refine(self, qs):
        return qs.annotate(load=threads.open_load())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["conflicts"] = list(self.object.conflicts.select_related("company").order_by("-id"))
        ctx["open"] = list(
            Consultation.objects.for_scope(self.scope)
            .filter(assignments__expert=self.object, status__in=Consultation.OPEN)
            .select_related("category")
            .order_by("first_reply_due")[:50]
        )
        return ctx


class ExpertEdit(ObjectFormView):
    model = Expert
    permission = DESK
    form_class = ExpertEditForm
    form_instance = True
    title = _("修改专家信息")

    def act(self, form):
        d = form.cleaned_data
        return pool.expert_update(
            actor=self.request.user,
            expert=self.object,
            name=d["name"],
            kind=d["kind"],
            areas=d["areas"],
            max_open=d["max_open"],
            organisation=d["organisation"],
            active=d["active"],
        )


class ConflictCreate(ObjectFormView):
    """登记利益冲突: the expert may not answer this company's questions."""

    model = Expert
    permission = DESK
    form_class = ConflictForm
    title = _("登记利益冲突")
    success_message = _("已登记，该专家不会再被分派到这家企业的咨询。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "expert": self.object}

    def act(self, form):
        pool.conflict_record(
            actor=self.request.user,
            expert=self.object,
            company=form.cleaned_data["company"],
            reason=form.cleaned_data["reason"],
        )
        return self.object


# --- categories ---------------------------------------------------------------------------


class CategoryList(ScopedListView):
    model = Category
    permission = DESK
    table_template = "consultations/_category_table.html"
    title = _("咨询类别与服务时限")
    export_columns = (
        ExportColumn(_("类别"), "name", 18),
        ExportColumn(_("首次答复时限（小时）"), "first_reply_hours", 14),
        ExportColumn(_("办结时限（小时）"), "resolution_hours", 14),
    )

    def refine_list(self, qs):
        return qs.order_by("association_id", "id")


class CategoryEdit(ObjectFormView):
    model = Category
    permission = DESK
    form_class = CategoryForm
    form_instance = True
    title = _("修改服务时限")
    cancel_url_name = "consultations:category_list"

    def act(self, form):
        d = form.cleaned_data
        pool.category_update(
            actor=self.request.user,
            category=self.object,
            first_reply_hours=d["first_reply_hours"],
            resolution_hours=d["resolution_hours"],
            active=d["active"],
        )
        return "consultations:category_list"


# --- knowledge from answers ----------------------------------------------------------------


class FaqDraftList(ScopedListView):
    model = FaqDraft
    permission = DESK
    table_template = "consultations/_faq_table.html"
    title = _("问答整理")
    filters = ("state",)
    search_fields = ("question__icontains",)

    def refine_list(self, qs):
        return qs.order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"state": FaqDraft.State.choices}
        return ctx


class FaqCreate(ObjectFormView):
    """整理为常见问题: an anonymised draft from a resolved consultation."""

    model = Consultation
    permission = DESK
    form_class = FaqDraftForm
    template_name = "consultations/faq_form.html"
    title = _("整理为常见问题")
    success_message = _("草稿已保存，审核后即可发布到协会网站。")

    def refine(self, qs):
        return qs.select_related("company", "asked_by")

    def get_initial(self):
        question, answer = faq.draft_text(self.object)
        return {"question": question, "answer": answer}

    def act(self, form):
        return faq.faq_draft_create(
            actor=self.request.user,
            consultation=self.object,
            question=form.cleaned_data["question"],
            answer=form.cleaned_data["answer"],
        )


class FaqEdit(ObjectFormView):
    """A draft: edit it, then approve and publish (asks first)."""

    model = FaqDraft
    permission = DESK
    form_class = FaqDraftForm
    form_instance = True
    template_name = "consultations/faq_form.html"
    title = _("问答草稿")
    cancel_url_name = "consultations:faq_list"

    def act(self, form):
        return faq.faq_draft_update(
            actor=self.request.user,
            draft=self.object,
            question=form.cleaned_data["question"],
            answer=form.cleaned_data["answer"],
        )


@login_required
@require_POST
def faq_publish(request, pk: int):
    """审核发布: the draft becomes an item of the public FAQ page (a new revision)."""
    scope = request.scope.for_perm(DESK)
    if not scope.grants:
        raise PermissionDenied
    draft = faq_selectors.drafts(request.scope).filter(pk=pk).first()
    if draft is None:
        raise Http404
    if not request.POST.get("confirmed"):
        messages.error(request, _("请确认发布。"))
        return redirect(draft)
    try:
        faq.faq_publish(actor=request.user, draft=draft)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(draft)
    messages.success(request, _("已发布到协会网站的常见问题。"))
    return redirect("consultations:faq_list")


# --- figures ------------------------------------------------------------------------------


class FiguresPage(ScopedViewMixin, generic.TemplateView):
    """咨询统计: by category and region, median hours to the first reply and to the
    resolution, satisfaction; ?export=xlsx (or csv) downloads them."""

    model = Consultation
    permission = DESK
    template_name = "consultations/figures.html"

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt:
            if fmt not in exporting.FORMATS:
                raise Http404
            return exporting.figures_export(
                actor=request.user,
                figures=figure_selectors.figures(request.scope),
                association_ids=self.scope.ids(Target.ASSOCIATION),
                fmt=fmt,
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("咨询统计"), figures=figure_selectors.figures(self.request.scope), **kwargs
        )
