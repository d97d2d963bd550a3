"""Administration pages of closed-compound access control, declared on the scoped
base views: policies, passes (and the resident's own pass page), checkpoints and
devices, visitors, deliveries and vehicles. Each write calls one service."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.access.forms import (
    CheckpointForm,
    ConfirmForm,
    DeliveryForm,
    DeviceForm,
    PassIssueForm,
    PassRevokeForm,
    PolicyForm,
    VehicleForm,
    VisitorForm,
)
from firstline.access.models import (
    AccessPolicy,
    Checkpoint,
    Delivery,
    Device,
    Pass,
    Vehicle,
    Visitor,
)
from firstline.access.selectors import administration as administration_selectors
from firstline.access.selectors.administration import PassStatus
from firstline.access.services import administration as administration_services
from firstline.access.services import devices, gate
from firstline.core.roles import Target
from firstline.core.views import (
    HistoryMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    apply_errors,
    row_id,
)
from firstline.estates.models import Building, Household, Resident, Site
from firstline.estates.selectors import resident_search_q

SHOWS_QR = (PassStatus.VALID, PassStatus.PENDING)


def qr_svg(pass_: Pass, *, scale: int = 4) -> str:
    """The pass's signed token as an inline SVG QR code ("" when the site has no key yet)."""
    key = gate.site_key_signing(site_id=pass_.site_id)
    return _qr_markup(gate.pass_token(pass_, key), scale=scale) if key else ""


# html5-qrcode (the guard page's decoder) misreads about a quarter of sharp, square
# codes drawn with mask pattern 2; other masks read reliably.
AVOID_MASK = 2


def _qr_markup(token: str, *, scale: int, mask: int | None = None) -> str:
    """`mask` fixed skips segno's evaluation of all eight masks (six times faster): a
    sheet of a few hundred codes needs it; every mask scans."""
    # segno writes the SVG from our own signed token (base64url and dots): nothing user-typed.
    qr = segno.make(token, error="m", mask=mask)
    if qr.mask == AVOID_MASK:
        qr = segno.make(token, error="m", mask=AVOID_MASK + 1)
    return mark_safe(qr.svg_inline(scale=scale, border=2, omitsize=True))  # noqa: S308


class AccessListView(ScopedListView):
    """A list whose "new" button needs its own permission (not view_ → change_)."""

    create_permission = ""

    @cached_property
    def now(self):
        return timezone.now()

    def site_choices(self):
        return Site.objects.for_scope(self.scope).order_by("name").only("id", "name")[:500]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = bool(self.create_url_name) and self.request.scope.has_perm(
            self.create_permission
        )
        return ctx


# --- policies ---------------------------------------------------------------------------


class PolicyList(AccessListView):
    model = AccessPolicy
    permission = "access.view_event"
    create_permission = "access.change_policy"
    template_name = "access/policy_list.html"
    table_template = "access/_policy_table.html"
    title = gettext_lazy("封闭管理策略")
    filters = ("site",)
    create_url_name = "access:policy_create"

    def refine_list(self, qs):
        return administration_selectors.policy_list(qs, now=self.now).order_by(
            "site__name", "site_id", "-version"
        )

    def search_q(self, term):
        return Q(site__name__icontains=term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(sites=self.site_choices(), now=self.now)
        return ctx


POLICY_DIFF_FIELDS = [f for f in gate.POLICY_FIELDS if f != "effective_from"]


def policy_value(policy: AccessPolicy | None, name: str) -> str:
    if policy is None:
        return ""
    value = getattr(policy, name)
    if hasattr(policy, f"get_{name}_display"):
        return str(getattr(policy, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value is None:
        return _("不限") if name in ("outing_quota", "floor_cap") else "—"
    if name.startswith(("outing_window", "office_hours")):
        return value.strftime("%H:%M")
    return str(value)


class PolicyDetail(HistoryMixin, ScopedDetailView):
    model = AccessPolicy
    permission = "access.view_event"
    template_name = "access/policy_detail.html"

    def refine(self, qs):
        return qs.select_related("site", "created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        policy, now = self.object, timezone.now()
        previous = administration_selectors.policy_previous(
            AccessPolicy.objects.for_scope(self.scope), policy
        )
        in_force = gate.policy_in_force(site_id=policy.site_id, at=now)
        ctx.update(
            previous=previous,
            diff=[
                {
                    "label": AccessPolicy._meta.get_field(name).verbose_name,
                    "old": policy_value(previous, name),
                    "new": policy_value(policy, name),
                    "changed": previous is not None
                    and policy_value(previous, name) != policy_value(policy, name),
                }
                for name in POLICY_DIFF_FIELDS
            ],
            values={name: policy_value(policy, name) for name in POLICY_DIFF_FIELDS},
            in_force=in_force is not None and in_force.pk == policy.pk,
            scheduled=policy.effective_from > now,
            can_edit=False,
            can_publish=self.request.scope.has_perm("access.change_policy"),
        )
        return ctx


class PolicyCreate(ScopedCreateView):
    model = AccessPolicy
    permission = "access.change_policy"
    form_class = PolicyForm
    title = gettext_lazy("发布新版本")
    cancel_url_name = "access:policy_list"
    success_message = gettext_lazy("已发布新版本。")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        site_id = row_id(self.request.GET.get("site"))
        if site_id and Site.objects.for_scope(self.scope).filter(pk=site_id).exists():
            kwargs["current"] = gate.policy_in_force(site_id=site_id, at=timezone.now())
            kwargs["initial"] = {"site": site_id}
        return kwargs

    def act(self, form):
        return gate.policy_publish(
            actor=self.request.user, site=form.cleaned_data["site"], data=form.cleaned_data
        )


# --- passes ----------------------------------------------------------------------------


class PassList(AccessListView):
    model = Pass
    permission = "access.view_pass"
    create_permission = "access.issue_pass"
    template_name = "access/pass_list.html"
    table_template = "access/_pass_table.html"
    title = gettext_lazy("通行证")
    filters = ("site", "status", "kind")
    create_url_name = "access:pass_issue"

    def refine_list(self, qs):
        qs = administration_selectors.pass_list(qs, now=self.now)
        if (building := row_id(self.request.GET.get("building"))) is not None:
            qs = qs.filter(household__building_id=building)
        return qs

    def search_q(self, term):
        return administration_selectors.pass_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        buildings = (
            Building.objects.for_scope(self.scope)
            .select_related("site")
            .order_by("site__name", "name")
        )
        if (site := row_id(self.request.GET.get("site"))) is not None:
            buildings = buildings.filter(site_id=site)
        ctx.update(
            sites=self.site_choices(),
            buildings=buildings[:500],
            statuses=PassStatus.choices,
            kinds=Pass.Kind.choices,
            building=row_id(self.request.GET.get("building")) or "",
            can_print=self.request.scope.has_perm("access.issue_pass"),
        )
        return ctx


class PassDetail(HistoryMixin, ScopedDetailView):
    model = Pass
    permission = "access.view_pass"
    template_name = "access/pass_detail.html"

    def refine(self, qs):
        return administration_selectors.pass_list(qs, now=timezone.now())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        pass_ = self.object
        can_revoke = pass_.revoked_at is None and (
            Pass.objects.for_scope(self.request.scope.for_perm("access.issue_pass"))
            .filter(pk=pass_.pk)
            .exists()
        )
        ctx.update(
            qr=qr_svg(pass_) if pass_.status in SHOWS_QR else "",
            status_label=PassStatus.labels.get(pass_.status, ""),
            revoke_form=PassRevokeForm(scope=self.scope) if can_revoke else None,
            can_edit=False,
        )
        return ctx


class PassRevoke(ScopedUpdateView):
    model = Pass
    permission = "access.issue_pass"
    form_class = PassRevokeForm
    template_name = "access/pass_revoke.html"
    success_message = gettext_lazy("通行证已注销。")

    def refine(self, qs):
        return qs.select_related("household__building")

    def act(self, form):
        return gate.pass_revoke(
            actor=self.request.user, pass_=self.object, reason=form.cleaned_data["reason"]
        )


class PassIssue(ScopedCreateView):
    """Issue one resident's pass (found by the search on this page) or a whole building's."""

    model = Pass
    permission = "access.issue_pass"
    form_class = PassIssueForm
    template_name = "access/pass_issue.html"
    matches_limit = 20

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        term = self.request.GET.get("q", "").strip()
        matches = []
        if term:
            now = timezone.now()
            holding = Pass.objects.for_scope(self.scope).filter(
                resident=OuterRef("pk"), revoked_at__isnull=True, valid_until__gt=now
            )
            matches = (
                Resident.objects.for_scope(self.scope)
                .filter(resident_search_q(term))
                .select_related("site", "household__building")
                .annotate(has_pass=Exists(holding))
                .order_by("household_id", "id")[: self.matches_limit]
            )
        ctx.update(query=term, matches=matches, days=gate.DEFAULT_PASS_DAYS)
        return ctx

    def form_valid(self, form):
        data, actor = form.cleaned_data, self.request.user
        if data["target"] == "resident":
            pass_ = gate.pass_issue(actor=actor, resident=data["resident"], days=data["days"])
            messages.success(
                self.request, _("已为 %(name)s 发放通行证。") % {"name": pass_.holder_name}
            )
            return redirect(pass_.get_absolute_url())
        building = data["building"]
        try:
            issued = administration_services.pass_issue_building(
                actor=actor, building=building, days=data["days"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("已为 %(building)s 的 %(n)d 位居民发放通行证。")
            % {"building": building.name, "n": len(issued)},
        )
        return redirect(reverse("access:pass_sheet", args=[building.pk]))


class PassSheet(ScopedDetailView):
    """A printable A4 sheet of the valid residents' passes of one building."""

    model = Building
    permission = "access.issue_pass"
    template_name = "access/pass_sheet.html"

    def refine(self, qs):
        return qs.select_related("site")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        passes = list(
            administration_selectors.sheet_passes(
                Pass.objects.for_scope(self.scope), building_id=self.object.pk, now=timezone.now()
            )
        )
        key = gate.site_key_signing(site_id=self.object.site_id)
        ctx["cards"] = (
            [
                {"pass": p, "qr": _qr_markup(gate.pass_token(p, key), scale=3, mask=0)}
                for p in passes
            ]
            if key
            else []
        )
        return ctx


class OwnHouseholdMixin:
    """The resident's own pages: only passes of a household the user is granted as a
    resident, whatever else their roles allow."""

    def refine(self, qs):
        households = sorted(self.scope.ids(Target.HOUSEHOLD))
        return (
            administration_selectors.pass_list(qs, now=timezone.now())
            .filter(household_id__in=households, kind=Pass.Kind.RESIDENT, status__in=SHOWS_QR)
            .order_by("holder_name", "pk")
        )


class MyPasses(OwnHouseholdMixin, AccessListView):
    model = Pass
    permission = "access.view_pass"
    template_name = "access/pass_my_list.html"
    table_template = "access/_pass_my_table.html"
    title = gettext_lazy("我的通行证")


class MyPass(OwnHouseholdMixin, ScopedDetailView):
    model = Pass
    permission = "access.view_pass"
    template_name = "access/pass_my.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["qr"] = qr_svg(self.object, scale=8)
        return ctx


# --- checkpoints and devices ---------------------------------------------------------------


class CheckpointList(AccessListView):
    model = Checkpoint
    permission = "access.view_event"
    create_permission = "access.manage_device"
    template_name = "access/checkpoint_list.html"
    table_template = "access/_checkpoint_table.html"
    title = gettext_lazy("出入口")
    filters = ("site", "kind")
    search_fields = ("name__icontains",)
    create_url_name = "access:checkpoint_create"

    def refine_list(self, qs):
        return administration_selectors.checkpoint_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            sites=self.site_choices(),
            kinds=Checkpoint.Kind.choices,
            can_manage=self.request.scope.has_perm("access.manage_device"),
        )
        return ctx


class CheckpointCreate(ScopedCreateView):
    model = Checkpoint
    permission = "access.manage_device"
    form_class = CheckpointForm
    title = gettext_lazy("新建出入口")
    cancel_url_name = "access:checkpoint_list"

    def act(self, form):
        administration_services.checkpoint_create(
            actor=self.request.user, site=form.cleaned_data["site"], data=form.cleaned_data
        )
        return "access:checkpoint_list"


class CheckpointUpdate(ScopedUpdateView):
    model = Checkpoint
    permission = "access.manage_device"
    form_class = CheckpointForm
    cancel_url_name = "access:checkpoint_list"

    def act(self, form):
        administration_services.checkpoint_update(
            actor=self.request.user, checkpoint=self.object, data=form.cleaned_data
        )
        return "access:checkpoint_list"


class DeviceList(AccessListView):
    model = Device
    permission = "access.view_event"
    create_permission = "access.manage_device"
    template_name = "access/device_list.html"
    table_template = "access/_device_table.html"
    title = gettext_lazy("门岗设备")
    filters = ("site", "checkpoint", "kind")
    search_fields = ("name__icontains", "serial__icontains")
    create_url_name = "access:device_create"

    def refine_list(self, qs):
        qs = administration_selectors.device_list(qs, now=self.now)
        state = self.request.GET.get("state")
        if state in ("online", "offline"):
            qs = qs.filter(online=state == "online")
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            sites=self.site_choices(),
            kinds=Device.Kind.choices,
            state=self.request.GET.get("state", ""),
            online_seconds=Device.ONLINE_SECONDS,
            can_manage=self.request.scope.has_perm("access.manage_device"),
        )
        return ctx


def _token_page(request, device: Device, raw: str, *, rotated: bool):
    response = render(
        request, "access/device_token.html", {"device": device, "token": raw, "rotated": rotated}
    )
    add_never_cache_headers(response)  # the raw token is shown once and must not be kept by a cache
    return response


class DeviceCreate(ScopedCreateView):
    model = Device
    permission = "access.manage_device"
    form_class = DeviceForm
    title = gettext_lazy("登记设备")
    cancel_url_name = "access:device_list"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            device, raw = devices.device_register(
                actor=self.request.user,
                checkpoint=data["checkpoint"],
                name=data["name"],
                kind=data["kind"],
                serial=data["serial"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        return _token_page(self.request, device, raw, rotated=False)


class DeviceRotate(ScopedUpdateView):
    model = Device
    permission = "access.manage_device"
    form_class = ConfirmForm
    template_name = "access/device_confirm.html"
    extra_context = {"action": "rotate"}

    def refine(self, qs):
        return qs.select_related("site", "checkpoint")

    def form_valid(self, form):
        raw = devices.device_rotate_token(actor=self.request.user, device=self.object)
        return _token_page(self.request, self.object, raw, rotated=True)


class DeviceDeactivate(ScopedUpdateView):
    model = Device
    permission = "access.manage_device"
    form_class = ConfirmForm
    template_name = "access/device_confirm.html"
    extra_context = {"action": "deactivate"}
    success_message = gettext_lazy("设备已停用。")

    def refine(self, qs):
        return qs.select_related("site", "checkpoint")

    def act(self, form):
        devices.device_deactivate(actor=self.request.user, device=self.object)
        return "access:device_list"


# --- visitors --------------------------------------------------------------------------------


class VisitorList(AccessListView):
    model = Visitor
    permission = "access.view_visitor"
    create_permission = "access.register_visitor"
    template_name = "access/visitor_list.html"
    table_template = "access/_visitor_table.html"
    title = gettext_lazy("访客")
    filters = ("site",)
    create_url_name = "access:visitor_create"

    def refine_list(self, qs):
        qs = administration_selectors.visitor_list(qs, now=self.now)
        when = self.request.GET.get("when")
        today = timezone.localdate()
        if when == "today":
            qs = qs.filter(expected_on=today)
        elif when == "upcoming":
            qs = qs.filter(expected_on__gte=today)
        elif when == "past":
            qs = qs.filter(expected_on__lt=today)
        return qs

    def search_q(self, term):
        return administration_selectors.visitor_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            sites=self.site_choices(),
            when=self.request.GET.get("when", ""),
            pass_labels=PassStatus.labels,
        )
        return ctx


class VisitorDetail(HistoryMixin, ScopedDetailView):
    model = Visitor
    permission = "access.view_visitor"
    template_name = "access/visitor_detail.html"

    def refine(self, qs):
        return administration_selectors.visitor_list(qs, now=timezone.now())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visitor = self.object
        show = visitor.pass_ref is not None and visitor.pass_status in SHOWS_QR
        ctx.update(
            qr=qr_svg(visitor.pass_ref, scale=6) if show else "",
            pass_label=PassStatus.labels.get(visitor.pass_status, ""),
            can_edit=False,
        )
        return ctx


class VisitorCreate(ScopedCreateView):
    """Register a visitor. Before anything is filled in, the page says which of the
    user's sites turn visitors away today (the policy in force, 谢绝来访). When every
    one does, the message replaces the form: a resident's registration would be
    refused; staff may still register one at the gate (an escorted doctor, a repair:
    the service lets them) after choosing to, through `?escorted=1`."""

    model = Visitor
    permission = "access.register_visitor"
    form_class = VisitorForm
    template_name = "access/visitor_form.html"
    title = gettext_lazy("登记访客")
    cancel_url_name = "access:visitor_list"
    success_message = gettext_lazy("已登记，一次性通行证已生成，请发送给访客。")

    def refusals(self) -> tuple[list[str], bool]:
        """(names of the scope's sites refusing visitors now, whether all of them do)."""
        sites = dict(Site.objects.for_scope(self.scope).values_list("id", "name"))
        if not sites:  # a resident: the sites of their own households
            sites = dict(
                Household.objects.for_scope(self.scope).values_list("site_id", "site__name")
            )
        refusing = gate.sites_refusing_visitors(site_ids=sites, at=timezone.now())
        names = sorted(sites[pk] for pk in refusing)
        return names, bool(sites) and len(refusing) == len(sites)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        names, everywhere = self.refusals()
        staff = not ctx["form"].for_own_household
        escorted = staff and self.request.GET.get("escorted") == "1"
        ctx.update(
            refusing_sites=names,
            # Replaced by the message, unless staff chose to register one anyway (or
            # posted the form: its errors must show).
            visitors_refused=everywhere and not escorted and self.request.method == "GET",
            can_escort=staff,
            escorted=escorted,
        )
        return ctx

    def act(self, form):
        data = form.cleaned_data
        visitor = administration_services.visitor_register(
            actor=self.request.user,
            household=data["household"],
            name=data["name"],
            phone=data["phone"],
            expected_on=data["expected_on"],
            purpose=data["purpose"],
            by_resident=form.for_own_household,
        )
        return reverse("access:visitor_detail", args=[visitor.pk])


# --- deliveries -------------------------------------------------------------------------------


class DeliveryList(AccessListView):
    model = Delivery
    permission = "access.log_delivery"
    create_permission = "access.log_delivery"
    template_name = "access/delivery_list.html"
    table_template = "access/_delivery_table.html"
    title = gettext_lazy("快递外卖登记")
    filters = ("site",)
    create_url_name = "access:delivery_create"

    def refine_list(self, qs):
        qs = administration_selectors.delivery_list(qs)
        state = self.request.GET.get("state")
        if state in ("waiting", "collected"):
            qs = qs.filter(collected_at__isnull=state == "waiting")
        return qs

    def search_q(self, term):
        return administration_selectors.delivery_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(sites=self.site_choices(), state=self.request.GET.get("state", ""))
        return ctx


class DeliveryCreate(ScopedCreateView):
    model = Delivery
    permission = "access.log_delivery"
    form_class = DeliveryForm
    title = gettext_lazy("登记快递外卖")
    cancel_url_name = "access:delivery_list"

    def act(self, form):
        data = form.cleaned_data
        administration_services.delivery_log(
            actor=self.request.user,
            site=data["site"],
            carrier=data["carrier"],
            household=data["household"],
            note=data["note"],
        )
        return "access:delivery_list"


class DeliveryCollect(ScopedUpdateView):
    model = Delivery
    permission = "access.log_delivery"
    form_class = ConfirmForm
    template_name = "access/delivery_collect.html"
    success_message = gettext_lazy("已标记为已领取。")

    def refine(self, qs):
        return administration_selectors.delivery_list(qs)

    def act(self, form):
        administration_services.delivery_collect(actor=self.request.user, delivery=self.object)
        return "access:delivery_list"


# --- vehicles ---------------------------------------------------------------------------------


class VehicleList(AccessListView):
    model = Vehicle
    permission = "access.view_pass"
    create_permission = "access.issue_pass"
    template_name = "access/vehicle_list.html"
    table_template = "access/_vehicle_table.html"
    title = gettext_lazy("登记车辆")
    filters = ("site",)
    create_url_name = "access:vehicle_create"

    def refine_list(self, qs):
        return administration_selectors.vehicle_list(qs).order_by("site_id", "plate")

    def search_q(self, term):
        return administration_selectors.vehicle_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            sites=self.site_choices(), can_manage=self.request.scope.has_perm("access.issue_pass")
        )
        return ctx


class VehicleCreate(ScopedCreateView):
    model = Vehicle
    permission = "access.issue_pass"
    form_class = VehicleForm
    title = gettext_lazy("登记车辆")
    cancel_url_name = "access:vehicle_list"

    def act(self, form):
        administration_services.vehicle_register(
            actor=self.request.user,
            household=form.cleaned_data["household"],
            plate=form.cleaned_data["plate"],
        )
        return "access:vehicle_list"


class VehicleRemove(ScopedUpdateView):
    model = Vehicle
    permission = "access.issue_pass"
    form_class = ConfirmForm
    template_name = "access/vehicle_remove.html"
    success_message = gettext_lazy("已注销该车辆登记。")

    def refine(self, qs):
        return administration_selectors.vehicle_list(qs)

    def act(self, form):
        administration_services.vehicle_remove(actor=self.request.user, vehicle=self.object)
        return "access:vehicle_list"
