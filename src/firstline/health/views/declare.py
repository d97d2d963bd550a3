"""The resident's own declaration.

Without an account, from the site's link or QR code on a phone:
phone → one-time code → who (when several residents share the phone) → consent
→ the declaration → its result. The link carries the site, signed (a guessed or
edited link is a 404). The verified sign-in lives in the session, for this site
only and for 30 minutes; no user account is made.

With an account (role resident over a household): /health/declare/mine/ lists
the household's members, and each can be declared for, consent and declaration
on one page (the consent keeps its own text and checkbox).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic
from django.views.decorators.http import require_POST

from firstline.core.personal.masking import mask_phone
from firstline.core.scope import Scope
from firstline.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, apply_errors
from firstline.estates.models import Resident, Site
from firstline.health.forms.screening import (
    CodeForm,
    ConsentForm,
    PhoneForm,
    WhoForm,
    declaration_forms,
    declaration_input,
)
from firstline.health.models import Consent, Declaration
from firstline.health.services import otp, sms
from firstline.health.services.declarations import (
    consent_record,
    declaration_reasons,
    declaration_submit,
)

SALT = "firstline.health.declare"
SESSION_KEY = "fl_declare"
SIGNED_IN_FOR = timedelta(minutes=30)
OWN_PERMISSION = "health.declare_own"


# --- the signed site link ------------------------------------------------------------------


def site_token(site: Site) -> str:
    """The site's part of its public link: company and site ids, signed (no expiry:
    the QR code is printed and posted at the gate)."""
    return signing.Signer(salt=SALT).sign(f"{site.company_id}.{site.pk}")


def declare_path(site: Site) -> str:
    return reverse("health:declare_start", args=[site_token(site)])


def site_from_token(token: str) -> tuple[Site, Scope]:
    try:
        company_id, site_id = (int(x) for x in signing.Signer(salt=SALT).unsign(token).split("."))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    scope = otp.site_scope(company_id, site_id)
    site = Site.objects.for_scope(scope).filter(pk=site_id, company_id=company_id).first()
    if site is None:
        raise Http404
    return site, scope


def _posted(request):
    """The POST data of a POST (even an empty one, so the form is bound and says what
    is missing), None otherwise."""
    return request.POST if request.method == "POST" else None


# --- the session ---------------------------------------------------------------------------


def _state(request, site: Site) -> dict | None:
    """The verified sign-in for this site, or None (another site's, or expired)."""
    state = request.session.get(SESSION_KEY)
    if not state or state.get("site") != site.pk:
        return None
    if time.time() - state.get("at", 0) > SIGNED_IN_FOR.total_seconds():
        request.session.pop(SESSION_KEY, None)
        return None
    return state


def _save(request, state: dict) -> None:
    request.session[SESSION_KEY] = state
    request.session.modified = True


def _signed_in(request, site: Site, resident_ids: list[int]) -> None:
    request.session.cycle_key()  # a new session id once the code is verified (no fixation)
    _save(request, {"site": site.pk, "at": time.time(), "residents": resident_ids})


def _start_over(token: str, request, message: str | None = None):
    from django.contrib import messages

    messages.info(request, message or _("登录已过期，请重新验证手机号。"))
    return redirect("health:declare_start", token)


def _residents(scope: Scope, ids: list[int]):
    return (
        Resident.objects.for_scope(scope)
        .filter(pk__in=ids)
        .select_related("household", "household__building")
        .order_by("id")
    )


def _page(request, template: str, site: Site, token: str, **ctx):
    signed_in = _state(request, site) is not None
    return render(
        request, f"health/{template}", {"site": site, "token": token, "signed_in": signed_in, **ctx}
    )


# --- the steps ----------------------------------------------------------------------------


def declare_start(request, token: str):
    """Step 1: the phone number. POST sends the code and shows step 2 at once (the
    demo backend's code is only known to the process that sent it)."""
    site, _scope = site_from_token(token)
    form = PhoneForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            code = otp.request_code(
                site=site,
                phone=form.cleaned_data["phone"],
                ip=request.META.get("REMOTE_ADDR", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            phone = otp.clean_phone(form.cleaned_data["phone"])
            return _code_page(request, site, token, CodeForm(initial={"phone": phone}), code)
    return _page(request, "declare_start.html", site, token, form=form)


def _code_page(request, site, token, form, code: str = "", status: int = 200):
    demo_code = code if code and sms.shows_codes() else ""
    phone = form["phone"].value() or ""
    response = _page(
        request,
        "declare_code.html",
        site,
        token,
        form=form,
        demo_code=demo_code,
        phone_masked=mask_phone(phone) if phone else "",
    )
    response.status_code = status
    return response


@require_POST
def declare_verify(request, token: str):
    """Step 2: the code. Right → signed in for this site; wrong → the same page with why."""
    site, _scope = site_from_token(token)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, site, token, form, status=400)
    try:
        residents = otp.verify_code(
            site=site, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return _code_page(request, site, token, form, status=400)
    if not residents:
        form.add_error(
            None,
            _("本项目没有用该手机号登记的居民。请联系物业服务中心登记，或由工作人员代为申报。"),
        )
        return _code_page(request, site, token, form, status=400)
    _signed_in(request, site, [r.pk for r in residents])
    return redirect("health:declare_who", token)


def declare_who(request, token: str):
    """Step 3: who is declaring, when several residents share the phone."""
    site, scope = site_from_token(token)
    state = _state(request, site)
    if state is None:
        return _start_over(token, request)
    residents = list(_residents(scope, state["residents"]))
    if len(residents) == 1:
        _save(request, {**state, "resident": residents[0].pk})
        return redirect("health:declare_consent", token)
    form = WhoForm(_posted(request), residents=residents)
    if request.method == "POST" and form.is_valid():
        _save(request, {**state, "resident": form.cleaned_data["resident"], "consent": None})
        return redirect("health:declare_consent", token)
    return _page(request, "declare_who.html", site, token, form=form, residents=residents)


def _chosen(request, site: Site, scope: Scope) -> tuple[dict, Resident] | None:
    state = _state(request, site)
    if state is None or not state.get("resident"):
        return None
    if state["resident"] not in state["residents"]:
        return None
    resident = _residents(scope, [state["resident"]]).first()
    return (state, resident) if resident else None


def declare_consent(request, token: str):
    """Step 4: the separate consent to processing health data, recorded when given."""
    site, scope = site_from_token(token)
    chosen = _chosen(request, site, scope)
    if chosen is None:
        return _start_over(token, request)
    state, resident = chosen
    form = ConsentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        consent = consent_record(resident=resident, channel="self")
        _save(request, {**state, "consent": consent.pk})
        return redirect("health:declare_form", token)
    return _page(request, "declare_consent.html", site, token, form=form, resident=resident)


def declare_form(request, token: str):
    """Step 5: the declaration itself; saved and screened in one go."""
    site, scope = site_from_token(token)
    chosen = _chosen(request, site, scope)
    if chosen is None:
        return _start_over(token, request)
    state, resident = chosen
    consent = (
        Consent.objects.for_scope(scope).filter(pk=state.get("consent"), resident=resident).first()
        if state.get("consent")
        else None
    )
    if consent is None:
        return redirect("health:declare_consent", token)
    form, places = declaration_forms(_posted(request))
    if request.method == "POST" and form.is_valid() and places.is_valid():
        try:
            declaration = declaration_submit(
                resident=resident,
                data=declaration_input(form, places),
                channel=Declaration.Channel.SELF,
                consent=consent,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            _save(request, {**state, "last": declaration.pk})
            return redirect("health:declare_result", token)
    status = 400 if request.method == "POST" else 200
    response = _page(
        request, "declare_form.html", site, token, form=form, places=places, resident=resident
    )
    response.status_code = status
    return response


def declare_result(request, token: str):
    """Step 6: the status colour and its reasons in words."""
    site, scope = site_from_token(token)
    state = _state(request, site)
    if state is None or not state.get("last"):
        return _start_over(token, request)
    declaration = (
        Declaration.objects.for_scope(scope)
        .filter(pk=state["last"], resident_id__in=state["residents"])
        .select_related("resident")
        .first()
    )
    if declaration is None:
        return _start_over(token, request)
    others = len(state["residents"]) > 1
    return _page(
        request,
        "declare_result.html",
        site,
        token,
        declaration=declaration,
        reasons=declaration_reasons(declaration),
        others=others,
    )


@require_POST
def declare_signout(request, token: str):
    site_from_token(token)  # a forged link is a 404 here too
    request.session.pop(SESSION_KEY, None)
    return _start_over(token, request, _("已退出。"))


# --- a signed-in resident, for the household's members --------------------------------------


def current_status_subquery(scope):
    return Subquery(
        Declaration.objects.for_scope(scope)
        .filter(resident=OuterRef("pk"), current=True)
        .values("status")[:1]
    )


class DeclareMine(ScopedListView):
    """The household's members, each with the status of their current declaration."""

    model = Resident
    permission = OWN_PERMISSION
    template_name = "health/declare_mine.html"
    table_template = "health/_declaration_mine_table.html"
    title = _("行程申报")

    def refine_list(self, qs):
        return (
            qs.select_related("household", "household__building", "site")
            .annotate(current_status=current_status_subquery(qs.scope))
            .order_by("household_id", "id")
        )


class DeclareMineForm(ScopedViewMixin, generic.DetailView):
    """Consent and declaration for one member of the resident's own household."""

    model = Resident
    permission = OWN_PERMISSION
    template_name = "health/declare_mine_form.html"
    context_object_name = "resident"

    def refine(self, qs):
        return qs.select_related("household", "household__building", "site")

    def forms(self, data=None):
        form, places = declaration_forms(data)
        return {"consent_form": ConsentForm(data, prefix="consent"), "form": form, "places": places}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        for name, value in self.forms().items():
            ctx.setdefault(name, value)
        return ctx

    def post(self, request, pk: int):
        self.object = resident = self.get_object()
        forms = self.forms(request.POST)
        valid = [f.is_valid() for f in forms.values()]
        if all(valid):
            try:
                declaration = submit_with_consent(
                    resident=resident,
                    form=forms["form"],
                    places=forms["places"],
                    channel=Declaration.Channel.SELF,
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_errors(forms["form"], exc)
            else:
                return redirect("health:declare_mine_result", declaration.pk)
        return self.render_to_response(self.get_context_data(**forms), status=400)


def submit_with_consent(*, resident, form, places, channel: str, actor):
    """Record the consent and the declaration together: a declaration the engine
    refuses leaves no consent behind either."""
    with transaction.atomic():
        consent = consent_record(resident=resident, channel=channel, actor=actor)
        return declaration_submit(
            resident=resident,
            data=declaration_input(form, places),
            channel=channel,
            consent=consent,
            actor=actor,
        )


class DeclareMineResult(ScopedDetailView):
    """The result of a declaration of the resident's own household."""

    model = Declaration
    permission = OWN_PERMISSION
    template_name = "health/declare_mine_result.html"
    context_object_name = "declaration"

    def refine(self, qs):
        return qs.select_related("resident")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["reasons"] = declaration_reasons(self.object)
        return ctx
