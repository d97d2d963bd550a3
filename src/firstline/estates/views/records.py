"""Pages of the estates app, declared on the scoped base views."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from firstline.core.services import personal_reveal
from firstline.core.views import (
    HistoryMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
)
from firstline.estates import selectors
from firstline.estates.forms import (
    BuildingForm,
    HouseholdForm,
    ResidentForm,
    RevealForm,
    SiteForm,
    StaffForm,
)
from firstline.estates.models import Building, Household, Resident, Site, Staff
from firstline.estates.services import records

# --- sites --------------------------------------------------------------------


class SiteList(ScopedListView):
    model = Site
    permission = "estates.view_site"
    table_template = "estates/_site_table.html"
    filters = ("site_type",)
    create_url_name = "estates:site_create"

    def refine_list(self, qs):
        return selectors.site_list(qs)

    def search_q(self, term):
        return selectors.site_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"site_type": Site.Type.choices}
        return ctx


class SiteDetail(HistoryMixin, ScopedDetailView):
    model = Site
    permission = "estates.view_site"
    template_name = "estates/site_detail.html"

    def refine(self, qs):
        return selectors.site_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["buildings"] = selectors.building_list(Building.objects.for_scope(self.scope)).filter(
            site=self.object
        )[:200]
        return ctx


class SiteCreate(ScopedCreateView):
    model = Site
    permission = "estates.add_site"
    form_class = SiteForm

    def act(self, form):
        return records.site_create(
            actor=self.request.user, company_id=form.company_id(), data=form.cleaned_data
        )


class SiteUpdate(ScopedUpdateView):
    model = Site
    permission = "estates.change_site"
    form_class = SiteForm

    def act(self, form):
        return records.site_update(
            actor=self.request.user, site=self.object, data=form.cleaned_data
        )


# --- buildings and households ------------------------------------------------------


class BuildingList(ScopedListView):
    model = Building
    permission = "estates.view_building"
    table_template = "estates/_building_table.html"
    filters = ("site",)
    create_url_name = "estates:building_create"

    def refine_list(self, qs):
        return selectors.building_list(qs)

    def search_q(self, term):
        return selectors.building_search_q(term)


class BuildingDetail(HistoryMixin, ScopedDetailView):
    model = Building
    permission = "estates.view_building"
    template_name = "estates/building_detail.html"

    def refine(self, qs):
        return selectors.building_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["households"] = selectors.household_list(
            Household.objects.for_scope(self.scope)
        ).filter(building=self.object)[:500]
        return ctx


class BuildingCreate(ScopedCreateView):
    model = Building
    permission = "estates.change_building"
    form_class = BuildingForm

    def act(self, form):
        return records.building_create(
            actor=self.request.user, site=form.cleaned_data["site"], data=form.cleaned_data
        )


class BuildingUpdate(ScopedUpdateView):
    model = Building
    permission = "estates.change_building"
    form_class = BuildingForm

    def act(self, form):
        return records.building_update(
            actor=self.request.user, building=self.object, data=form.cleaned_data
        )


class HouseholdList(ScopedListView):
    model = Household
    permission = "estates.view_household"
    table_template = "estates/_household_table.html"
    filters = ("site", "building")
    create_url_name = "estates:household_create"

    def refine_list(self, qs):
        return selectors.household_list(qs)

    def search_q(self, term):
        return selectors.household_search_q(term)


class HouseholdDetail(HistoryMixin, ScopedDetailView):
    model = Household
    permission = "estates.view_household"
    template_name = "estates/household_detail.html"

    def refine(self, qs):
        return selectors.household_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["residents"] = selectors.resident_list(
            Resident.objects.for_scope(self.request.scope.for_perm("estates.view_resident"))
        ).filter(household=self.object)
        return ctx


class HouseholdCreate(ScopedCreateView):
    model = Household
    permission = "estates.change_household"
    form_class = HouseholdForm

    def act(self, form):
        return records.household_create(
            actor=self.request.user, building=form.cleaned_data["building"], data=form.cleaned_data
        )


class HouseholdUpdate(ScopedUpdateView):
    model = Household
    permission = "estates.change_household"
    form_class = HouseholdForm

    def refine(self, qs):
        return selectors.household_list(qs)

    def act(self, form):
        return records.household_update(
            actor=self.request.user, household=self.object, data=form.cleaned_data
        )


# --- residents ----------------------------------------------------------------------


class ResidentList(ScopedListView):
    model = Resident
    permission = "estates.view_resident"
    template_name = "estates/resident_list.html"
    table_template = "estates/_resident_table.html"
    filters = ("site",)
    create_url_name = "estates:resident_create"

    def refine_list(self, qs):
        qs = selectors.resident_list(qs)
        if self.request.GET.get("vulnerable"):
            q = Q()
            for f in Resident.VULNERABILITY_FIELDS:
                q |= Q(**{f: True})
            qs = qs.filter(q)
        if self.request.GET.get("shared_id"):
            qs = selectors.sharing_id_number(qs)
        return qs

    def search_q(self, term):
        return selectors.resident_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["sites"] = Site.objects.for_scope(self.scope).order_by("name").only("id", "name")[:500]
        ctx["vulnerable"] = self.request.GET.get("vulnerable", "")
        ctx["shared_id"] = self.request.GET.get("shared_id", "")
        # Counted only when the full page renders the notice (not for the table fragment).
        ctx["sharing_id_number"] = selectors.sharing_id_number(
            Resident.objects.for_scope(self.scope)
        )
        return ctx


class ResidentDetail(HistoryMixin, ScopedDetailView):
    model = Resident
    permission = "estates.view_resident"
    template_name = "estates/resident_detail.html"

    def refine(self, qs):
        return selectors.resident_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_reveal"] = self.request.scope.has_perm("people.reveal")
        ctx["reveal_form"] = RevealForm()
        return ctx


class ResidentFormMixin:
    model = Resident
    form_class = ResidentForm

    def household(self, form):
        ref = records.RoomRef(
            form.cleaned_data["building"],
            form.cleaned_data.get("unit", ""),
            form.cleaned_data["room"],
        )
        return records.household_find(site=form.cleaned_data["site"], ref=ref)

    def personal(self, form):
        return {
            "phone": form.cleaned_data.get("phone", ""),
            "id_number": form.cleaned_data.get("id_number", ""),
        }


class ResidentCreate(ResidentFormMixin, ScopedCreateView):
    permission = "estates.change_resident"

    def act(self, form):
        return records.resident_create(
            actor=self.request.user,
            household=self.household(form),
            data=form.cleaned_data,
            **self.personal(form),
        )


class ResidentUpdate(ResidentFormMixin, ScopedUpdateView):
    permission = "estates.change_resident"

    def refine(self, qs):
        return selectors.resident_list(qs)

    def act(self, form):
        return records.resident_update(
            actor=self.request.user,
            resident=self.object,
            data=form.cleaned_data,
            household=self.household(form),
            **self.personal(form),
        )


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """Reveal one field with a purpose; the page shows it once (htmx fragment)."""
    form = RevealForm(request.POST)
    value, error, status = None, None, 200
    if form.is_valid():
        try:
            value = personal_reveal(
                actor=request.user,
                scope=request.scope,
                model=Resident,
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
        # The resident must still be in scope, or this is a 404 like any other read.
        if (
            not Resident.objects.for_scope(request.scope.for_perm("estates.view_resident"))
            .filter(pk=pk)
            .exists()
        ):
            raise Http404
        error, status = " ".join(e for errs in form.errors.values() for e in errs), 400
    context = {"value": value, "error": error, "field": request.POST.get("field")}
    return render(request, "estates/_reveal_result.html", context, status=status)


# --- staff --------------------------------------------------------------------------


class StaffList(ScopedListView):
    model = Staff
    permission = "estates.view_staff"
    table_template = "estates/_staff_table.html"
    filters = ("site", "position")
    create_url_name = "estates:staff_create"

    def refine_list(self, qs):
        return selectors.staff_list(qs)

    def search_q(self, term):
        return selectors.staff_search_q(term)


class StaffDetail(HistoryMixin, ScopedDetailView):
    model = Staff
    permission = "estates.view_staff"
    template_name = "estates/staff_detail.html"

    def refine(self, qs):
        return selectors.staff_list(qs)


class StaffCreate(ScopedCreateView):
    model = Staff
    permission = "estates.change_staff"
    form_class = StaffForm

    def act(self, form):
        return records.staff_create(
            actor=self.request.user,
            site=form.cleaned_data["site"],
            data=form.cleaned_data,
            phone=form.cleaned_data.get("phone", ""),
        )


class StaffUpdate(ScopedUpdateView):
    model = Staff
    permission = "estates.change_staff"
    form_class = StaffForm

    def refine(self, qs):
        return selectors.staff_list(qs)

    def act(self, form):
        return records.staff_update(
            actor=self.request.user,
            staff=self.object,
            data=form.cleaned_data,
            phone=form.cleaned_data.get("phone", ""),
        )
