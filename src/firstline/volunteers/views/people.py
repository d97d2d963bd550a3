"""Volunteers and teams: the public sign-up page, a company's sign-up of its people,
the coordinator's list, vetting and insurance, teams, and hours by team and company."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.http import require_POST

from firstline.core.services import ExportColumn, personal_reveal
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
    apply_errors,
)
from firstline.estates.forms import RevealForm
from firstline.orgs.models import Association
from firstline.volunteers.forms import (
    CompanySignUpForm,
    InsuranceForm,
    PublicSignUpForm,
    TeamForm,
    TeamMemberForm,
    VetForm,
)
from firstline.volunteers.models import Skill, Team, Volunteer
from firstline.volunteers.selectors import people
from firstline.volunteers.services import people as services

VIEW = "volunteers.view_volunteer"
CHANGE = "volunteers.change_volunteer"
VET = "volunteers.vet_volunteer"


# --- the public sign-up page --------------------------------------------------------------


def join(request, association_id: int | None = None):
    """报名: anyone may sign up; the sign-up waits for the association's vetting."""
    if association_id is None:
        first = Association.objects.order_by("id").values_list("pk", flat=True).first()
        if first is None:
            raise Http404
        return redirect("volunteers:join_association", first)
    association = get_object_or_404(Association, pk=association_id)
    consent = services.consent_current(association)
    if request.method == "POST":
        form = PublicSignUpForm(request.POST)
        if form.is_valid():
            try:
                services.volunteer_sign_up(
                    actor=request.user,
                    association=association,
                    data=form.service_data(),
                    phone=form.cleaned_data["phone"],
                    id_number=form.cleaned_data["id_number"],
                    emergency_phone=form.cleaned_data["emergency_phone"],
                    consent_version=form.cleaned_data["consent_version"],
                    agreed=form.cleaned_data["agreed"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("volunteers:join_done", association.pk)
        status = 422
    else:
        form = PublicSignUpForm(initial={"consent_version": consent.version})
        status = 200
    return render(
        request,
        "volunteers/join.html",
        {"form": form, "association": association, "consent": consent},
        status=status,
    )


def join_done(request, association_id: int):
    association = get_object_or_404(Association, pk=association_id)
    return render(request, "volunteers/join_done.html", {"association": association})


# --- lists and records ------------------------------------------------------------------------


def _skills(v) -> str:
    return "、".join(v.skill_labels)


class VolunteerList(ScopedListView):
    """志愿者: the association's all, a company's own people."""

    model = Volunteer
    permission = VIEW
    table_template = "volunteers/_volunteer_table.html"
    title = _("志愿者")
    filters = ("state", "team", "company", "availability")
    create_url_name = "volunteers:volunteer_create"
    export_columns = (
        ExportColumn(_("姓名"), "name", 10),
        ExportColumn(_("手机号"), "phone_masked", 14),
        ExportColumn(_("身份证号"), "id_number_masked", 20),
        ExportColumn(_("技能"), _skills, 20),
        ExportColumn(_("语言"), "languages", 14),
        ExportColumn(_("可服务时间"), "get_availability_display", 12),
        ExportColumn(_("企业"), lambda v: v.company.name if v.company_id else "", 24),
        ExportColumn(_("队伍"), lambda v: v.team.name if v.team_id else "", 14),
        ExportColumn(_("状态"), "get_state_display", 10),
        ExportColumn(_("保险公司"), "insurer", 16),
        ExportColumn(_("保险截止"), "insured_to", 12),
        ExportColumn(_("服务时长（小时）"), lambda v: round(v.minutes / 60, 1), 12),
    )

    def refine_list(self, qs):
        return people.with_minutes(
            qs.select_related("company", "team"), self.request.scope
        ).order_by("-created_at", "-id")

    def search_q(self, term):
        from django.db.models import Q

        return (
            Q(name__icontains=term) | Q(phone_last4=term[-4:])
            if term.isdigit()
            else Q(name__icontains=term)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {
            "state": Volunteer.State.choices,
            "availability": Volunteer._meta.get_field("availability").choices,
        }
        return ctx


class VolunteerDetail(HistoryMixin, ScopedDetailView):
    model = Volunteer
    permission = VIEW
    template_name = "volunteers/volunteer_detail.html"

    def refine(self, qs):
        return people.with_minutes(
            qs.select_related("company", "team", "consent", "user"), self.request.scope
        )

    def history_company_id(self, obj):
        return obj.company_id

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        v = self.object
        ctx.update(
            hours=round(v.minutes / 60, 1),
            can_vet=self.request.scope.for_perm(VET).grants != (),
            deployments=list(v.deployments.select_related("site").order_by("-starts_on")[:20]),
            certificates=list(v.certificates.all()[:5]),
            can_reveal=v.company_id is not None
            and bool(self.request.scope.for_perm("people.reveal").grants),
            skills=Skill,
        )
        return ctx


class VolunteerCreate(ServiceFormView):
    """A company signs up its own people (the consent read to them)."""

    model = Volunteer
    permission = CHANGE
    form_class = CompanySignUpForm
    title = _("企业报送志愿者")
    template_name = "volunteers/company_signup.html"
    success_message = _("已报送，等待协会审核。")

    def _association(self, company):
        from firstline.orgs.models import Membership

        link = Membership.objects.filter(company=company).order_by("id").first()
        if link is None:
            raise ValidationError({"company": _("该企业不是协会会员。")})
        return Association.objects.get(pk=link.association_id)

    def consent(self):
        """The consent text in force for the first of the user's companies' association."""
        from firstline.orgs.models import Membership

        link = (
            Membership.objects.filter(company_id__in=self.scope.ids("company"))
            .order_by("id")
            .first()
        )
        if link is None:
            return None
        return services.consent_current(Association.objects.get(pk=link.association_id))

    def get_initial(self):
        initial = super().get_initial()
        if (consent := self.consent()) is not None:
            initial["consent_version"] = consent.version
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(consent=self.consent(), **kwargs)

    def act(self, form):
        company = form.cleaned_data["company"]
        volunteer = services.volunteer_sign_up(
            actor=self.request.user,
            association=self._association(company),
            company=company,
            data=form.service_data(),
            phone=form.cleaned_data["phone"],
            id_number=form.cleaned_data["id_number"],
            emergency_phone=form.cleaned_data["emergency_phone"],
            consent_version=form.cleaned_data["consent_version"],
            agreed=form.cleaned_data["agreed"],
        )
        return volunteer


class VolunteerVet(ObjectFormView):
    """审核: approve (a login made or linked) or reject with a reason."""

    model = Volunteer
    permission = VET
    form_class = VetForm
    title = _("审核志愿者")
    template_name = "volunteers/vet.html"

    def act(self, form):
        d = form.cleaned_data
        if d["decision"] == "approve":
            volunteer, password = services.volunteer_approve(
                actor=self.request.user,
                volunteer=self.object,
                username=d["username"],
                note=d["note"],
            )
            if password:
                messages.info(
                    self.request,
                    _("已新建登录账号 %(u)s，初始密码 %(p)s（只显示这一次，请转告本人）")
                    % {"u": f"v{volunteer.pk}", "p": password},
                )
        else:
            volunteer = services.volunteer_reject(
                actor=self.request.user, volunteer=self.object, note=d["note"]
            )
        return volunteer


class VolunteerInsurance(ObjectFormView):
    model = Volunteer
    permission = VET
    form_class = InsuranceForm
    form_instance = True
    title = _("登记保险")

    def act(self, form):
        return services.insurance_set(
            actor=self.request.user, volunteer=self.object, data=form.cleaned_data
        )


# --- teams --------------------------------------------------------------------------------------


class TeamList(ScopedListView):
    model = Team
    permission = VIEW
    table_template = "volunteers/_team_table.html"
    title = _("志愿者队伍")
    create_url_name = "volunteers:team_create"
    export_columns = (
        ExportColumn(_("队名"), "name", 16),
        ExportColumn(_("队长"), lambda t: t.leader.name_masked if t.leader_id else "", 10),
        ExportColumn(_("人数"), "member_count", 8),
    )
    search_fields = ("name__icontains",)

    def refine_list(self, qs):
        return (
            qs.select_related("leader")
            .annotate(member_count=Count("members"))
            .order_by("name", "id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = bool(self.request.scope.for_perm(VET).grants)
        return ctx


class TeamCreate(ServiceFormView):
    model = Team
    permission = VET
    form_class = TeamForm
    title = _("新建队伍")

    def act(self, form):
        association_id = sorted(self.scope.ids("association"))[0]
        return services.team_create(
            actor=self.request.user,
            association=Association.objects.get(pk=association_id),
            name=form.cleaned_data["name"],
        )


class TeamDetail(ScopedDetailView):
    model = Team
    permission = VIEW
    template_name = "volunteers/team_detail.html"

    def refine(self, qs):
        return qs.select_related("leader")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["members"] = people.with_minutes(
            Volunteer.objects.for_scope(self.scope).filter(team=self.object), self.request.scope
        ).order_by("name")
        ctx["can_vet"] = bool(self.request.scope.for_perm(VET).grants)
        return ctx


class TeamMemberAdd(ObjectFormView):
    model = Team
    permission = VET
    form_class = TeamMemberForm
    title = _("编入队员")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team": self.object}

    def act(self, form):
        return services.team_member_set(
            actor=self.request.user,
            team=self.object,
            volunteer=form.cleaned_data["volunteer"],
            leader=form.cleaned_data["leader"],
        )


# --- hours ------------------------------------------------------------------------------------


class HoursPage(ScopedViewMixin, generic.TemplateView):
    """服务时长: closed hours per team and per company, over the volunteers the user reads."""

    model = Volunteer
    permission = VIEW
    template_name = "volunteers/hours.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            title=_("服务时长"),
            teams=people.hours_by_team(self.request.scope, user),
            companies=people.hours_by_company(self.request.scope, user),
            **kwargs,
        )


def require(request, perm: str):
    scope = request.scope.for_perm(perm)
    if not scope.grants:
        raise PermissionDenied
    return scope


def volunteer_url(v: Volunteer) -> str:
    return reverse("volunteers:volunteer_detail", args=[v.pk])


@login_required
@require_POST
def volunteer_reveal(request, pk: int):
    """Reveal one sealed field of a company's own volunteer with a stated purpose
    (people.reveal over the company; the read and the purpose are logged); the page
    shows it once (htmx fragment, estates' reveal result)."""
    if not Volunteer.objects.for_scope(request.scope.for_perm(VIEW)).filter(pk=pk).exists():
        raise Http404
    form = RevealForm(request.POST)
    value, error, status = None, None, 200
    if form.is_valid():
        try:
            value = personal_reveal(
                actor=request.user,
                scope=request.scope,
                model=Volunteer,
                pk=pk,
                field=form.cleaned_data["field"],
                purpose=form.cleaned_data["purpose"],
                ip=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        except PermissionDenied as exc:
            error, status = str(exc), 403
    else:
        error, status = " ".join(e for errs in form.errors.values() for e in errs), 400
    context = {"value": value, "error": error, "field": request.POST.get("field")}
    return render(request, "estates/_reveal_result.html", context, status=status)
