"""A fair's figures, live and afterwards, in a fixed number of queries:

    employers      verified booths
    positions      positions posted (open or closed) and their headcount
    graduates      distinct graduates who applied at the fair
    applications   applications (withdrawn ones included), by state
    interviews     interviews booked
    offers         applications that got an offer
    participants   graduates who applied + staff on the verified booths + the public
                   page's visitors, each counted once a day (visitor-days)

See docs/jobs.md for the participants' definition."""

from __future__ import annotations

from django.db.models import Count, Sum

from firstline.jobs.models import Application, Employer, Fair, FairVisit, Interview, Position


def fair_figures(fair: Fair) -> dict:
    """The figures of one fair the caller already reached through its scope (the
    association's desk) or that is published (the public page)."""
    employers = Employer.all_tenants.filter(fair=fair, state=Employer.State.VERIFIED).aggregate(
        n=Count("id"), staff=Sum("booth_staff")
    )
    positions = Position.all_tenants.filter(fair=fair).aggregate(
        n=Count("id"), headcount=Sum("headcount")
    )
    applications = Application.all_tenants.filter(fair=fair)
    by_state = dict(
        applications.order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    graduates = applications.values("graduate_id").distinct().count()
    interviews = Interview.all_tenants.filter(application__fair=fair).count()
    visits = FairVisit.all_tenants.filter(fair=fair).count()
    staff = employers["staff"] or 0
    return {
        "employers": employers["n"],
        "positions": positions["n"],
        "headcount": positions["headcount"] or 0,
        "graduates": graduates,
        "applications": sum(by_state.values()),
        "by_state": [
            (value, label, by_state.get(value, 0)) for value, label in Application.State.choices
        ],
        "interviews": interviews,
        "offers": by_state.get(Application.State.OFFER, 0),
        "booth_staff": staff,
        "visitor_days": visits,
        "participants": graduates + staff + visits,
    }
