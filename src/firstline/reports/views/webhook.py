"""Webhook pages for the association admin (`reports.manage_webhook`): the list, create
(the secret is shown once, on the page that answers the POST), deactivate, and each
webhook's deliveries with "retry now".

Webhooks are association rows, not a company's: every read is filtered by the
associations the user's grants with this permission name, and a webhook or delivery
of another association answers 404. Deliveries are the member companies' rows, read
through the association path WebhookDelivery declares (`for_scope`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.roles import Target
from firstline.core.views import ScopedViewMixin, apply_errors
from firstline.reports.models import Webhook, WebhookDelivery
from firstline.reports.services import webhooks

MANAGE = "reports.manage_webhook"
PAGE_SIZE = 25


def _partial(request, page: str, table: str) -> str:
    # htmx pagination swaps the table only.
    return table if request.headers.get("HX-Request") else page


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64)
    url = forms.URLField(label=_("接收地址"), max_length=500, assume_scheme="https")
    division_code = forms.RegexField(
        label=_("行政区划代码"),
        regex=r"^\d{2,12}$",
        required=False,
        help_text=_("只推送该区划内项目的报告；留空为全部。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class WebhookMixin(ScopedViewMixin):
    model = Webhook
    permission = MANAGE

    def association_ids(self) -> list[int]:
        return sorted(self.scope.ids(Target.ASSOCIATION))

    def webhook(self, pk: int) -> Webhook:
        found = Webhook.objects.filter(pk=pk, association_id__in=self.association_ids()).first()
        if found is None:
            raise Http404
        return found


class WebhookList(WebhookMixin, generic.View):
    def get(self, request):
        webhooks_qs = (
            Webhook.objects.filter(association_id__in=self.association_ids())
            .order_by("name", "id")
            .values("id", "name", "url", "division_code", "active", "created_at")
        )
        page = Paginator(webhooks_qs, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            _partial(request, "reports/webhook_list.html", "reports/_webhook_table.html"),
            {
                "title": _("报告推送"),
                "page_obj": page,
                "paginator": page.paginator,
                "webhooks": page.object_list,
            },
        )


class WebhookCreate(WebhookMixin, generic.View):
    def get(self, request):
        return self._form(request, WebhookForm())

    def post(self, request):
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook, secret = webhooks.webhook_create(
                    actor=request.user,
                    association_id=self.association_ids()[0],
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                response = render(
                    request,
                    "reports/webhook_created.html",
                    {"title": _("推送地址已创建"), "webhook": webhook, "secret": secret},
                )
                response["Cache-Control"] = "no-store"  # the secret is shown this once
                return response
        return self._form(request, form, status=400)

    def _form(self, request, form, status=200):
        return render(
            request,
            "core/form.html",
            {
                "form": form,
                "title": _("新建推送地址"),
                "cancel_url": reverse("reports:webhook_list"),
            },
            status=status,
        )


class WebhookDeactivate(WebhookMixin, generic.View):
    def post(self, request, pk):
        webhook = self.webhook(pk)
        if webhooks.webhook_deactivate(actor=request.user, webhook=webhook):
            messages.success(request, _("已停用“%(name)s”。") % {"name": webhook.name})
        return redirect("reports:webhook_list")


class WebhookDeliveries(WebhookMixin, generic.View):
    def get(self, request, pk):
        webhook = self.webhook(pk)
        deliveries = WebhookDelivery.objects.for_scope(self.scope).filter(webhook_id=webhook.pk)
        state = request.GET.get("state") or ""
        if state in WebhookDelivery.State.values:
            deliveries = deliveries.filter(state=state)
        rows = deliveries.order_by("-created_at", "-id").values(
            "id",
            "state",
            "attempts",
            "last_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "version",
            "payload__site__name",
            "payload__day",
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        labels = dict(WebhookDelivery.State.choices)
        return render(
            request,
            _partial(request, "reports/webhook_deliveries.html", "reports/_delivery_table.html"),
            {
                "title": _("推送记录"),
                "webhook": webhook,
                "page_obj": page,
                "paginator": page.paginator,
                "deliveries": [{**row, "state_label": labels[row["state"]]} for row in page],
                "state": state,
                "state_choices": WebhookDelivery.State.choices,
            },
        )


class DeliveryRetry(WebhookMixin, generic.View):
    def post(self, request, pk):
        delivery = (
            WebhookDelivery.objects.for_scope(self.scope)
            .filter(pk=pk)
            .only("id", "company_id", "webhook_id", "attempts", "state")
            .first()
        )
        if delivery is None:
            raise Http404
        if delivery.state == WebhookDelivery.State.DELIVERED:
            messages.info(request, _("该推送已送达，无需重试。"))
        else:
            webhooks.delivery_retry(actor=request.user, delivery=delivery)
            messages.success(request, _("已重新发送。"))
        return redirect("reports:webhook_deliveries", pk=delivery.webhook_id)
