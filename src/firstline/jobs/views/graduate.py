"""The graduate's pages (phone first): its profile, positions to browse and apply to,
its applications with their states, picking an interview slot, offers. Every read is
narrowed to the caller's own profile (selectors/people.py): another graduate's
application is 404."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.views import (
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
)
from firstline.jobs.forms import ApplyForm, ConfirmForm, PickForm, ProfileForm
from firstline.jobs.models import Application, Graduate, Interview, Position
from firstline.jobs.selectors import people
from firstline.jobs.selectors.search import search
from firstline.jobs.services import applications, graduates
from firstline.jobs.services.applications import free_slots

APPLY = people.APPLY


class _Own:
    """The caller's own profile (404 without one)."""

    def graduate(self) -> Graduate:
        if not hasattr(self, "_graduate"):
            self._graduate = people.own_graduate(self.request.scope, self.request.user)
        if self._graduate is None:
            raise Http404
        return self._graduate


class Me(_Own, ScopedViewMixin, generic.TemplateView):
    model = Application
    permission = APPLY
    template_name = "jobs/me.html"

    def get_context_data(self, **kwargs):
        graduate = self.graduate()
        rows = list(people.own_applications(self.get_queryset(), self.request.user))
        interviews = {
            i.application_id: i
            for i in Interview.objects.for_scope(self.scope)
            .filter(application__graduate_id=graduate.pk)
            .select_related("slot")
        }
        for row in rows:
            row.interview = interviews.get(row.pk)
        return super().get_context_data(
            graduate=graduate,
            applications=rows,
            offers=[r for r in rows if r.state == Application.State.OFFER],
            title=_("我的求职"),
            **kwargs,
        )


class ProfileEdit(_Own, ServiceFormView):
    model = Graduate
    permission = APPLY
    form_class = ProfileForm
    title = _("个人资料")
    success_message = _("资料已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.graduate()}

    def cancel_url(self) -> str:
        return reverse("jobs:me")

    def act(self, form):
        data = form.cleaned_data
        graduates.graduate_update(
            actor=self.request.user, graduate=self.graduate(), data=data, cv=data.get("cv")
        )
        return "jobs:me"


class PositionBrowse(ScopedListView):
    model = Position
    permission = APPLY
    title = _("招聘职位")
    template_name = "jobs/position_browse.html"
    table_template = "jobs/_position_cards.html"
    paginate_by = 25

    def refine_list(self, qs):
        return people.open_positions(qs)

    def refine(self, queryset):
        term = self.request.GET.get("q", "").strip()
        return search(self.refine_list(queryset), term)


class Apply(_Own, ObjectFormView):
    model = Position
    permission = APPLY
    form_class = ApplyForm
    title = _("申请职位")
    template_name = "jobs/apply.html"
    success_message = _("已投递，可在“我的求职”查看进度。")

    def refine(self, qs):
        return people.open_positions(qs)

    def act(self, form):
        applications.application_submit(
            actor=self.request.user,
            graduate=self.graduate(),
            position=self.object,
            cover_note=form.cleaned_data.get("cover_note", ""),
        )
        return "jobs:me"


class MyApplication(ScopedDetailView):
    model = Application
    permission = APPLY
    template_name = "jobs/my_application.html"

    def refine(self, qs):
        return people.own_applications(qs, self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        application = self.object
        interview = (
            Interview.objects.for_scope(self.scope)
            .filter(application_id=application.pk)
            .select_related("slot")
            .first()
        )
        slots = (
            list(free_slots(application)) if application.state == Application.State.INVITED else []
        )
        ctx.update(
            interview=interview,
            slots=slots,
            pick_form=PickForm(scope=self.scope, slots=free_slots(application)),
        )
        return ctx


class _OwnApplicationForm(ObjectFormView):
    model = Application
    permission = APPLY

    def refine(self, qs):
        return people.own_applications(qs, self.request.user)

    def cancel_url(self) -> str:
        return reverse("jobs:my_application", args=[self.object.pk])


class PickSlot(_OwnApplicationForm):
    form_class = PickForm
    title = _("选择面试时段")
    success_message = _("已预约面试时段。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "slots": free_slots(self.object)}

    def act(self, form):
        applications.interview_pick(
            actor=self.request.user, application=self.object, slot=form.cleaned_data["slot"]
        )
        return self.cancel_url()


class Withdraw(_OwnApplicationForm):
    form_class = ConfirmForm
    title = _("撤回申请")
    success_message = _("已撤回。")

    def act(self, form):
        applications.application_withdraw(actor=self.request.user, application=self.object)
        return "jobs:me"
