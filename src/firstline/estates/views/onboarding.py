"""Bulk onboarding pages: the list of imports a user may run, one page per import
(upload, progress bar, the problems found) and each import's template.

The importers themselves are in services/onboarding; the resident import keeps
its own page (importing.py), which also exports."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.models import TaskProgress
from firstline.core.roles import Target
from firstline.core.views import ScopedViewMixin, row_id
from firstline.estates.models import Site
from firstline.estates.services.onboarding import IMPORTERS, Importer
from firstline.estates.tasks import import_enqueue
from firstline.orgs.models import Association

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024


def importer_for(slug: str) -> Importer:
    importer = IMPORTERS.get(slug)
    if importer is None:
        raise Http404
    return importer


class OnboardingForm(forms.Form):
    """Where to import (an association or one site, from the user's scope) and the file."""

    target = forms.ModelChoiceField(label=_("导入到"), queryset=Site.objects.none())
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    add_rooms = forms.BooleanField(
        label=_("登记名单中缺少的楼栋和房号"),
        required=False,
        help_text=_("不勾选时，未登记的房号算作错误；勾选后按名单新建楼栋和住户。"),
    )

    def __init__(self, *args, importer: Importer, scope, **kwargs):
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        if importer.target == "association":
            target.label = _("协会")
            target.queryset = Association.objects.filter(
                pk__in=sorted(scope.ids(Target.ASSOCIATION))
            ).order_by("name")
        else:
            target.label = _("导入到项目")
            target.queryset = Site.objects.for_scope(scope).order_by("name")
        target.widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xlsx"})
        if "add_rooms" in importer.options:
            self.fields["add_rooms"].widget.attrs["class"] = "form-check-input"
        else:
            del self.fields["add_rooms"]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的文件。"))
        if f.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件不能超过 20 MB。"))
        return f


def own_progress(request, progress_id: str, kind: str) -> TaskProgress:
    """An import's progress record, visible to the user who started it only."""
    try:
        progress = TaskProgress.objects.filter(
            pk=progress_id, owner=request.user, kind=kind
        ).first()
    except ValidationError:  # not a UUID
        progress = None
    if progress is None:
        raise Http404
    return progress


class OnboardingHub(LoginRequiredMixin, generic.TemplateView):
    """Every import the user may run, with its template."""

    template_name = "estates/onboarding_hub.html"

    def get_context_data(self, **kwargs):
        scope = self.request.scope
        importers = [i for i in IMPORTERS.values() if scope.has_perm(i.permission)]
        if not importers:
            raise PermissionDenied
        return {**super().get_context_data(**kwargs), "importers": importers}


class OnboardingViewMixin(ScopedViewMixin):
    """The importer named in the URL, with its permission."""

    model = Site

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.importer = importer_for(kwargs["slug"])
        self.permission = self.importer.permission


class OnboardingImport(OnboardingViewMixin, generic.FormView):
    """Upload a workbook; the page then follows the task's progress. With
    ?progress=<id> it shows that import's outcome and its list of problems."""

    form_class = OnboardingForm
    template_name = "estates/onboarding_import.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "importer": self.importer, "scope": self.scope}

    def get_initial(self):
        if (target := row_id(self.request.GET.get("site"))) is not None:
            return {"target": str(target)}
        form = self.form_class(importer=self.importer, scope=self.scope)
        only = list(form.fields["target"].queryset.values_list("pk", flat=True)[:2])
        return {"target": only[0]} if len(only) == 1 else {}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["importer"] = self.importer
        if "progress" not in kwargs and (progress_id := self.request.GET.get("progress")):
            ctx["progress"] = own_progress(self.request, progress_id, self.importer.kind)
        return ctx

    def post(self, request, *args, **kwargs):
        if self.importer.slug == "residents":
            return redirect("estates:resident_import")
        return super().post(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.importer.slug == "residents":
            return redirect("estates:resident_import")  # its page also exports
        progress_id = request.GET.get("progress")
        if progress_id and getattr(request, "htmx", False):
            progress = own_progress(request, progress_id, self.importer.kind)
            return render(
                request,
                "estates/import_outcome.html",
                {"progress": progress, "poll_url": request.path},
            )
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        target = form.cleaned_data["target"]
        progress = import_enqueue(
            importer=self.importer,
            actor=self.request.user,
            target=target,
            upload=form.cleaned_data["file"],
            options={k: form.cleaned_data[k] for k in self.importer.options},
        )
        progress.refresh_from_db()  # an immediate backend may have finished it already
        fresh = self.form_class(
            importer=self.importer, scope=self.scope, initial={"target": target.pk}
        )
        return self.render_to_response(self.get_context_data(form=fresh, progress=progress))


class OnboardingTemplate(OnboardingViewMixin, generic.View):
    """The empty workbook to fill in."""

    def get(self, request, slug):
        return FileResponse(
            BytesIO(self.importer.template()),
            as_attachment=True,
            filename=str(self.importer.template_name),
            content_type=XLSX,
        )
