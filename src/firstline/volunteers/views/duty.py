"""Deployments and shifts (the site's pages), the sites' check-in QR codes to print,
the certificate's PDF and its public verification page."""

from __future__ import annotations

import segno
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.services import ExportColumn
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
)
from firstline.estates.models import Site
from firstline.volunteers.forms import DeploymentForm, ShiftsForm, VolunteerSendForm
from firstline.volunteers.models import Certificate, Deployment
from firstline.volunteers.selectors import people
from firstline.volunteers.services import duty
from firstline.volunteers.services.pdf import certificate_pdf

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"


def qr_svg(url: str, scale: int = 5) -> str:
    # segno draws our own URL (a signed token): nothing user-typed goes in.
    return segno.make(url, micro=False, error="m").svg_inline(scale=scale, border=2)


class DeploymentList(ScopedListView):
    """派驻: who is on duty where, for which dates."""

    model = Deployment
    permission = VIEW_DUTY
    template_name = "volunteers/deployment_list.html"
    table_template = "volunteers/_deployment_table.html"
    title = _("派驻与排班")
    filters = ("site", "state")
    create_url_name = "volunteers:deployment_create"
    search_fields = ("person_name__icontains", "site__name__icontains")
    export_columns = (
        ExportColumn(_("姓名"), "person_masked", 10),
        ExportColumn(_("类别"), "kind_label", 8),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("岗位"), "duty", 12),
        ExportColumn(_("开始日期"), "starts_on", 12),
        ExportColumn(_("结束日期"), "ends_on", 12),
        ExportColumn(_("状态"), "get_state_display", 8),
    )

    def refine_list(self, qs):
        return qs.select_related("site").order_by("-starts_on", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"state": Deployment.State.choices}
        ctx["can_create"] = bool(self.request.scope.for_perm(MANAGE).grants)
        ctx["can_send"] = bool(self.request.scope.for_perm(people.DEPLOY).grants)
        return ctx


class DeploymentCreate(ServiceFormView):
    model = Deployment
    permission = MANAGE
    form_class = DeploymentForm
    title = _("派驻人员")
    success_message = _("已派驻。")

    def act(self, form):
        d = form.cleaned_data
        return duty.deployment_create(
            actor=self.request.user,
            site=d["site"],
            volunteer=d["volunteer"],
            staff=d["staff"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            duty=d["duty"],
        )


class VolunteerSend(ServiceFormView):
    """派遣志愿者: the association's coordinator sends a volunteer (a public sign-up
    too) to a member company's hospital or isolation point for dates."""

    model = Deployment
    permission = people.DEPLOY
    form_class = VolunteerSendForm
    title = _("派遣志愿者")
    success_message = _("已派遣，由该点位排班。")

    def act(self, form):
        d = form.cleaned_data
        return duty.deployment_create(
            actor=self.request.user,
            site=d["site"],
            volunteer=d["volunteer"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            duty=d["duty"],
        )


class DeploymentDetail(HistoryMixin, ScopedDetailView):
    model = Deployment
    permission = VIEW_DUTY
    template_name = "volunteers/deployment_detail.html"

    def refine(self, qs):
        return qs.select_related("site")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        d = self.object
        ctx.update(
            shifts=list(d.shifts.order_by("-starts_at")[:60]),
            attendances=list(d.attendances.order_by("-check_in_at")[:60]),
            checks=list(d.checks.order_by("-day")[:14]),
            minutes=sum(a.minutes for a in d.attendances.all()),
            can_manage=bool(self.request.scope.for_perm(MANAGE).grants),
        )
        ctx["hours"] = round(ctx["minutes"] / 60, 1)
        return ctx


class ShiftsCreate(ObjectFormView):
    """排班: one shift a day over a range of days."""

    model = Deployment
    permission = MANAGE
    form_class = ShiftsForm
    title = _("排班")
    success_message = _("已排班。")

    def act(self, form):
        d = form.cleaned_data
        duty.shifts_create(
            actor=self.request.user,
            deployment=self.object,
            first_day=d["first_day"],
            last_day=d["last_day"],
            start=d["start"],
            end=d["end"],
        )
        return self.object


class CheckinQRSheet(ScopedListView):
    """签到二维码: each site's check-in code, to print and post where people report."""

    model = Site
    permission = MANAGE
    template_name = "volunteers/checkin_qr.html"
    table_template = "volunteers/_checkin_qr_cards.html"
    title = _("签到二维码")
    search_fields = ("name__icontains",)
    paginate_by = 25

    def refine_list(self, qs):
        return qs.only("id", "company_id", "name", "site_type").order_by("name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        cards = []
        for site in ctx["object_list"]:
            url = self.request.build_absolute_uri(checkin_path(site))
            cards.append({"site": site, "url": url, "svg": qr_svg(url, 4)})
        ctx["cards"] = cards
        return ctx


def checkin_path(site: Site) -> str:
    from django.urls import reverse

    return reverse("volunteers:checkin", args=[duty.site_token(site)])


# --- certificates -------------------------------------------------------------------------------


def certificate_for(request, code: str) -> Certificate:
    """A certificate its volunteer, or a reader of the volunteer's record, may download."""
    visible = people.volunteers_visible(request.scope, request.user)
    certificate = (
        Certificate.objects.filter(code=code, volunteer__in=visible.values("pk"))
        .select_related("volunteer")
        .first()
    )
    if certificate is None:
        raise Http404
    return certificate


def certificate_download(request, code: str):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not request.scope.for_any_perm(people.VIEW, people.OWN).grants:
        raise PermissionDenied
    certificate = certificate_for(request, code)
    from django.urls import reverse

    url = request.build_absolute_uri(reverse("volunteers:verify") + f"?code={certificate.code}")
    body = certificate_pdf(
        name=certificate.volunteer.name,
        association=certificate.association_name,
        hours=certificate.hours,
        first_day=certificate.first_day.isoformat(),
        last_day=certificate.last_day.isoformat(),
        sites=certificate.sites,
        code=certificate.code,
        url=url,
        issued=timezone.localtime(certificate.issued_at).strftime("%Y-%m-%d"),
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


def verify(request):
    """核验 (public): a certificate by its code shows the masked name, hours and dates."""
    code = (request.GET.get("code") or "").strip().upper()[:16]
    certificate = (
        Certificate.objects.filter(code=code)
        .only(
            "code",
            "association_name",
            "name_masked",
            "minutes",
            "first_day",
            "last_day",
            "sites",
            "issued_at",
        )
        .first()
        if code
        else None
    )
    return render(
        request,
        "volunteers/verify.html",
        {"code": code, "certificate": certificate},
        status=404 if code and certificate is None else 200,
    )
