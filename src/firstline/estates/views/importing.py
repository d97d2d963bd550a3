"""Pages for moving residents in and out through Excel: the import page (upload,
progress, the problems found), the template download, and the export."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.models import TaskProgress
from firstline.core.services import PURPOSE_MIN_LENGTH, REVEAL_PERMISSION
from firstline.core.views import ScopedViewMixin, row_id
from firstline.estates.forms import ResidentImportForm
from firstline.estates.models import Resident, Site
from firstline.estates.services.exporting import residents_export
from firstline.estates.services.importing import template_workbook
from firstline.estates.tasks import IMPORT_KIND, IMPORT_PERMISSION, resident_import_enqueue

EXPORT_PERMISSION = "estates.export_resident"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ResidentExportForm(forms.Form):
    """Which residents to export, and whether in full (needs a purpose)."""

    site = forms.ModelChoiceField(
        label=_("项目"), queryset=Site.objects.none(), required=False, empty_label=_("全部项目")
    )
    full = forms.BooleanField(
        label=_("导出完整信息"),
        required=False,
        help_text=_("包含完整手机号和身份证号；导出将被记录。"),
    )
    purpose = forms.CharField(label=_("导出用途"), max_length=200, required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["site"].queryset = Site.objects.for_scope(
            scope.for_perm(EXPORT_PERMISSION)
        ).order_by("name")
        self.fields["site"].widget.attrs["class"] = "form-select"
        self.fields["full"].widget.attrs["class"] = "form-check-input"
        self.fields["purpose"].widget.attrs.update(
            {"class": "form-control", "placeholder": _("例如：向街道报送独居老人名单")}
        )
        if not scope.has_perm(REVEAL_PERMISSION):
            del self.fields["full"]
            del self.fields["purpose"]

    def clean(self):
        data = super().clean()
        if data.get("full") and len((data.get("purpose") or "").strip()) < PURPOSE_MIN_LENGTH:
            self.add_error(
                "purpose",
                _("导出完整信息须说明用途（至少 %(n)d 个字）。") % {"n": PURPOSE_MIN_LENGTH},
            )
        return data


def _own_progress(request, progress_id: str) -> TaskProgress:
    """An import's progress record, visible to the user who started it only."""
    try:
        progress = TaskProgress.objects.filter(
            pk=progress_id, owner=request.user, kind=IMPORT_KIND
        ).first()
    except ValidationError:  # not a UUID
        progress = None
    if progress is None:
        raise Http404
    return progress


class ResidentImport(ScopedViewMixin, generic.FormView):
    """Upload a sheet into one site; the page then follows the task's progress.
    With ?progress=<id> it shows that import's outcome and its list of problems."""

    model = Site
    permission = IMPORT_PERMISSION
    form_class = ResidentImportForm
    template_name = "estates/import.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "scope": self.scope}

    def get_initial(self):
        if (site := row_id(self.request.GET.get("site"))) is not None:
            return {"site": str(site)}
        only = list(Site.objects.for_scope(self.scope).values_list("pk", flat=True)[:2])
        return {"site": only[0]} if len(only) == 1 else {}  # a site manager's one site

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if "progress" not in kwargs and (progress_id := self.request.GET.get("progress")):
            ctx["progress"] = _own_progress(self.request, progress_id)
        if self.request.scope.has_perm(EXPORT_PERMISSION) and "export_form" not in kwargs:
            ctx["export_form"] = ResidentExportForm(
                scope=self.request.scope, initial=self.get_initial()
            )
        return ctx

    def get(self, request, *args, **kwargs):
        progress_id = request.GET.get("progress")
        if progress_id and getattr(request, "htmx", False):
            progress = _own_progress(request, progress_id)
            return render(request, "estates/import_outcome.html", {"progress": progress})
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        progress = resident_import_enqueue(
            actor=self.request.user,
            site=form.cleaned_data["site"],
            upload=form.cleaned_data["file"],
            add_rooms=form.cleaned_data["add_rooms"],
        )
        progress.refresh_from_db()  # an immediate backend may have finished it already
        fresh = self.form_class(scope=self.scope, initial={"site": form.cleaned_data["site"].pk})
        return self.render_to_response(self.get_context_data(form=fresh, progress=progress))


class ResidentImportTemplate(ScopedViewMixin, generic.View):
    """The empty workbook to fill in."""

    model = Site
    permission = IMPORT_PERMISSION

    def get(self, request):
        return FileResponse(
            BytesIO(template_workbook()),
            as_attachment=True,
            filename=str(_("居民导入模板.xlsx")),
            content_type=XLSX,
        )


class ResidentExport(ScopedViewMixin, generic.View):
    """Download the residents the user may export, optionally of one site (?site=).
    GET gives the masked workbook; a full one needs POST with a purpose."""

    model = Resident
    permission = EXPORT_PERMISSION

    def get(self, request):
        data = request.GET.copy()
        data.pop("full", None)
        return self.export(ResidentExportForm(data, scope=request.scope))

    def post(self, request):
        return self.export(ResidentExportForm(request.POST, scope=request.scope))

    def export(self, form: ResidentExportForm):
        if not form.is_valid():
            if "site" in form.errors:
                raise Http404  # a site outside the scope looks like one that does not exist
            return self.form_invalid(form)
        site = form.cleaned_data.get("site")
        full = bool(form.cleaned_data.get("full"))
        residents = self.get_queryset()
        if site is not None:
            residents = residents.filter(site=site)
        if full:
            reveal = self.scope.for_perm(REVEAL_PERMISSION).q(**Resident.scope_paths)
            if reveal is None:
                raise PermissionDenied
            residents = residents.filter(reveal)
        export = residents_export(
            actor=self.request.user,
            residents=residents,
            site=site,
            company_ids=self.scope.company_ids,
            full=full,
            purpose=form.cleaned_data.get("purpose", ""),
            ip=self.request.META.get("REMOTE_ADDR"),
        )
        return FileResponse(
            export.file, as_attachment=True, filename=export.filename, content_type=XLSX
        )

    def form_invalid(self, form: ResidentExportForm):
        """Back to the import and export page, the export form showing its errors."""
        request = self.request
        ctx = {"export_form": form, "view": self}
        if request.scope.has_perm(IMPORT_PERMISSION):
            ctx["form"] = ResidentImportForm(scope=request.scope)
        return render(request, "estates/import.html", ctx, status=400)
