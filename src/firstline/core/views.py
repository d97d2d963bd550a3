"""Base HTML views. Every tenant page is one of these, declared not written:

    class ResidentList(ScopedListView):
        model = Resident
        permission = "estates.view_resident"
        ...

The queryset always starts from `model.objects.for_scope(request.scope.for_perm(permission))`;
a subclass can narrow it (`refine`) but cannot replace it: defining get_queryset,
get_object or dispatch on a subclass is refused at class creation, and a refined
queryset that lost its scope mark is refused at run time. Outside the scope is 404.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import (
    FieldDoesNotExist,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core import exporting, scheduler
from firstline.core.api import ROW_ID_MAX
from firstline.core.middleware import API_PREFIX
from firstline.core.models import AccessLog, AuditEvent
from firstline.core.services import ExportColumn, list_export
from firstline.core.tenancy import is_scoped

SEALED_METHODS = ("get_queryset", "dispatch", "get_object")
EXPORT_IGNORED = ("export", "page", "per_page")
EXPORT_CHUNK = 2_000
PAGE_SIZES = (25, 50, 100)


NO_MATCH = object()


def row_id(raw) -> int | None:
    """A row id from a query string, or None when it is not one (not a number, or
    beyond the range of a primary key)."""
    value = str(raw or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= ROW_ID_MAX else None


def day_param(raw) -> date:
    """A day from a query string (YYYY-MM-DD), or today when it is missing or not one."""
    try:
        parsed = parse_date(str(raw or ""))
    except ValueError:
        parsed = None
    return parsed or timezone.localdate()


def column_value(model, path: str, raw: str):
    """`raw` (from a query string) as the value of the column `path` reaches
    (`site`, `status`, `household__building`), or NO_MATCH when no row can hold it."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return raw  # an annotation (a computed status): compared as text
        if field.is_relation:
            model = field.related_model
    target = field.target_field if field.is_relation else field
    try:
        value = target.to_python(raw)
        target.run_validators(value)  # integer columns carry their range validators
    except (ValidationError, TypeError, ValueError, OverflowError):
        return NO_MATCH
    if field.choices and value not in {key for key, _label in field.flatchoices}:
        return NO_MATCH
    return value


class ScopedViewMixin(LoginRequiredMixin):
    """Login, permission and scope, applied once for every tenant view."""

    model: type[models.Model]
    permission: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in SEALED_METHODS:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} may not override {name}: scoping lives in the base view."
                )

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.permission:
            raise ImproperlyConfigured(f"{type(self).__name__} must name its permission.")
        self.scope = request.scope.for_perm(self.permission)
        if not self.scope.grants:
            raise PermissionDenied  # no role of this user may use this kind of page anywhere
        return super().dispatch(request, *args, **kwargs)

    def refine(self, queryset):
        """Narrow the scoped queryset (joins, filters). Must return a descendant of it."""
        return queryset

    def get_queryset(self):
        qs = self.refine(self.model.objects.for_scope(self.scope))
        if not is_scoped(qs):
            raise ImproperlyConfigured(
                f"{type(self).__name__}.refine returned an unscoped queryset."
            )
        return qs


class ForgivingPaginationMixin:
    """A list page's `?page=` never fails: past the end it shows the last page, and a
    page below 1 or not a number shows the first (Django's ListView answers 404)."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        asked = self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg) or 1
        try:
            number = int(asked)
        except (TypeError, ValueError):
            number = paginator.num_pages if asked == "last" else 1
        page = paginator.page(min(max(number, 1), max(paginator.num_pages, 1)))
        return paginator, page, page.object_list, page.has_other_pages()


class ScopedListView(ForgivingPaginationMixin, ScopedViewMixin, generic.ListView):
    """List with filters, search, pagination; htmx requests get just the table fragment."""

    template_name = "core/list.html"
    table_template: str = ""
    search_fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # field names filtered by exact ?name=value
    paginate_by = 25
    title: str = ""
    create_url_name: str = ""
    # Columns of the Excel export of what the list shows (?export=xlsx|csv, the same
    # filters and search); none: the list has no export.
    export_columns: tuple[ExportColumn, ...] = ()

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt and self.export_columns:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str):
        """Every row the list would show, on every page, as a workbook; audited."""
        if fmt not in exporting.CONTENT_TYPES:
            raise Http404
        filters = {
            k: v for k, v in self.request.GET.items() if k not in EXPORT_IGNORED and v.strip()
        }
        out, name = list_export(
            actor=self.request.user,
            rows=self.get_queryset().iterator(chunk_size=EXPORT_CHUNK),
            columns=self.export_columns,
            sheet=str(self.title or self.model._meta.verbose_name_plural),
            fmt=fmt,
            company_ids=self.scope.company_ids,
            what=self.model._meta.label_lower,
            filters=filters,
        )
        return FileResponse(
            out, as_attachment=True, filename=name, content_type=exporting.CONTENT_TYPES[fmt]
        )

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("per_page", self.paginate_by))
        except ValueError:
            size = self.paginate_by
        return size if size in PAGE_SIZES else self.paginate_by

    def search_q(self, term: str) -> Q:
        """Override for a smarter search; by default ORs `search_fields` lookups."""
        q = Q()
        for field in self.search_fields:
            q |= Q(**{field: term})
        return q

    def refine(self, queryset):
        queryset = self.refine_list(queryset)
        for name in self.filters:
            value = self.request.GET.get(name)
            if value:
                parsed = column_value(self.model, name, value)
                # A value no row can hold (not a number, beyond the column's range, not
                # one of its choices) matches nothing: an empty list, never a 500.
                queryset = (
                    queryset.none() if parsed is NO_MATCH else queryset.filter(**{name: parsed})
                )
        term = self.request.GET.get("q", "").strip()
        if term and (condition := self.search_q(term)):
            queryset = queryset.filter(condition)
        return queryset

    def refine_list(self, queryset):
        return queryset

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.request.htmx.target == "list-table":
            return [self.table_template]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title or self.model._meta.verbose_name_plural,
            table_template=self.table_template,
            query=self.request.GET.get("q", ""),
            filter_values={name: self.request.GET.get(name, "") for name in self.filters},
            page_sizes=PAGE_SIZES,
            can_create=bool(self.create_url_name)
            and self.request.scope.has_perm(self.permission.replace("view_", "change_")),
            create_url_name=self.create_url_name,
            export_query=self._export_query() if self.export_columns else "",
        )
        return ctx

    def _export_query(self) -> str:
        query = self.request.GET.copy()
        for name in EXPORT_IGNORED:
            query.pop(name, None)
        query["export"] = "xlsx"
        return query.urlencode()


# Keys of audit rows that are not fields of the object (imports, exports, bulk actions).
CHANGE_KEYS = {
    "rows": _("行数"),
    "file": _("文件"),
    "rooms_added": _("新增房号"),
    "buildings": _("新增楼栋"),
    "households": _("新增住户"),
    "existing": _("已登记"),
    "sites": _("项目数"),
    "reason": _("原因"),
    "purpose": _("用途"),
}


def _shown(field, value) -> str:
    """A recorded value as a reader expects it: choice labels, 是/否, "—" for none.
    Personal values were recorded masked and stay so."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _field(model: type[models.Model], name: str):
    """The model field an audit key names; a personal value's masked column for its
    kind ("phone" → phone_masked, labelled 手机号)."""
    for candidate in (name, f"{name}_masked"):
        try:
            return model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


def change_lines(model: type[models.Model], changes) -> list[dict]:
    """An audit row's changes in words: [{label, old, new}] with field verbose names
    and choice labels in the reader's language (old is None for a plain value)."""
    if not isinstance(changes, dict):
        return []
    lines = []
    for name, change in changes.items():
        field = _field(model, name)
        if field is None:
            label = str(CHANGE_KEYS.get(name, name))
        else:
            label = str(getattr(field, "verbose_name", name))
            field = None if field.name.endswith("_masked") else field
        if isinstance(change, list) and len(change) == 2:
            lines.append(
                {"label": label, "old": _shown(field, change[0]), "new": _shown(field, change[1])}
            )
        else:
            lines.append({"label": label, "old": None, "new": _shown(field, change)})
    return lines


class HistoryMixin:
    """Detail pages show the object's change history (its audit rows), newest first."""

    history_limit = 20

    def history_company_id(self, obj) -> int:
        return obj.company_id

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.object
        events = list(
            AuditEvent.objects.filter(
                company_id=self.history_company_id(obj),
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
            ).select_related("actor")[: self.history_limit]
        )
        for event in events:
            event.lines = change_lines(type(obj), event.changes)
        ctx["history"] = events
        ctx["can_edit"] = self.request.scope.has_perm(self.permission.replace("view_", "change_"))
        return ctx


class ScopedDetailView(ScopedViewMixin, generic.DetailView):
    template_name = "core/detail.html"


class ScopedFormMixin(ScopedViewMixin):
    """Every form page that writes: the form limits its choices to the user's scope (it
    gets `scope`), `act` calls the service (one transaction, audit row). A
    ValidationError from the service lands on the form and nothing is saved; on
    success the page flashes `success_message` and goes where `act` says."""

    template_name = "core/form.html"
    title = ""
    cancel_url_name = ""  # where "cancel" goes; by default the object's page, or home
    success_message = _("已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "scope": self.scope}

    def act(self, form):
        """Call the service; return where to go next: a URL, a URL name, or the
        object whose page it is (`redirect` takes all three)."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            target = self.act(form)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(target)

    def cancel_url(self) -> str:
        return reverse(self.cancel_url_name) if self.cancel_url_name else ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.title:
            ctx["title"] = self.title
        if cancel_url := self.cancel_url():
            ctx["cancel_url"] = cancel_url
        return ctx


def apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ScopedCreateView(ScopedFormMixin, generic.CreateView):
    """A page that creates one object."""


class ScopedUpdateView(ScopedFormMixin, generic.UpdateView):
    """A page that edits one scoped object, or acts on it: the form gets it as
    `instance` (its initial values)."""


class ServiceFormView(ScopedFormMixin, generic.FormView):
    """A form page that is not about one object."""


class ObjectFormView(ServiceFormView):
    """A form page about one scoped object that is not its edit form: the URL's pk,
    looked up in the scope of the view's permission (outside it, 404); None when the
    URL has no pk (the same page creating one). With `form_instance` the form gets
    it as `instance`."""

    form_instance = False

    @cached_property
    def object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_instance:
            kwargs["instance"] = self.object
        return kwargs

    def cancel_url(self) -> str:
        url = super().cancel_url()
        if not url and self.object is not None:
            url = self.object.get_absolute_url()
        return url

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)


class AccessLogList(ScopedListView):
    """Who revealed whose personal data, when and why."""

    model = AccessLog
    permission = "core.view_accesslog"
    table_template = "core/_accesslog_table.html"
    title = _("个人信息查看记录")
    search_fields = ("object_label__icontains", "purpose__icontains", "actor__username__icontains")

    def refine_list(self, qs):
        return qs.select_related("actor", "site")


class JobList(ScopedViewMixin, generic.TemplateView):
    """The periodic jobs (firstline/schedule.py) and how each last ran: duration,
    result, failures, next run. Platform operations: no tenant's rows."""

    permission = "core.view_jobs"
    template_name = "core/jobs.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("定时作业"), jobs=scheduler.job_overview(), now=timezone.now(), **kwargs
        )


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    if request.path_info.startswith(API_PREFIX):
        # A URL under the API that no route takes (`{int:pk}` given "abc"): the API's
        # own answer, as documented for every operation, not the page.
        return JsonResponse({"detail": "Not Found"}, status=404)
    return render(request, "errors/404.html", status=404)


def error_500(request):
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": "Internal Server Error"}, status=500)
    # Rendered without the request: no context processor may touch a failing database.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render())
