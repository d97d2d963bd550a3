"""The fair's public page (no login): dates, employers, position search, live
figures; and the graduates' sign-up. A visitor is counted once a day by a daily key
(publishing's reading key: an HMAC of address and browser, never stored as such)."""

from __future__ import annotations

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import generic

from firstline.core.personal.aggregates import suppress
from firstline.core.views import apply_errors
from firstline.jobs.forms import SignUpForm
from firstline.jobs.selectors import figures, people
from firstline.jobs.selectors.search import search
from firstline.jobs.services import fairs, graduates
from firstline.publishing.services.reading import is_crawler, reader_of

PAGE_SIZE = 20


def _fair(pk):
    fair = people.public_fair(pk)
    if fair is None:
        raise Http404
    return fair


class FairPublic(generic.View):
    def get(self, request, pk):
        fair = _fair(pk)
        day = timezone.localdate()
        if not is_crawler(request.META.get("HTTP_USER_AGENT", "")):
            fairs.fair_visit_record(fair=fair, visitor_key=reader_of(request, day), day=day)
        term = request.GET.get("q", "").strip()[:100]
        positions = search(people.public_positions(fair), term)
        page = Paginator(positions, PAGE_SIZE).get_page(request.GET.get("page"))
        numbers = figures.fair_figures(fair)
        shown = {k: suppress(v) for k, v in numbers.items() if isinstance(v, int)}
        return render(
            request,
            "jobs/fair_public.html",
            {
                "fair": fair,
                "employers": list(people.public_employers(fair)),
                "page_obj": page,
                "positions": page.object_list,
                "query": term,
                "figures": shown,
            },
        )


class SignUp(generic.View):
    template_name = "jobs/sign_up.html"

    def get(self, request, pk):
        fair = _fair(pk)
        return render(request, self.template_name, {"fair": fair, "form": SignUpForm(scope=None)})

    def post(self, request, pk):
        fair = _fair(pk)
        form = SignUpForm(request.POST, request.FILES, scope=None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                graduate = graduates.graduate_sign_up(
                    fair=fair,
                    username=data["username"],
                    password=data["password"],
                    data=data,
                    cv=data.get("cv"),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                login(request, graduate.user, backend="firstline.orgs.backends.LockoutModelBackend")
                return redirect("jobs:me")
        return render(request, self.template_name, {"fair": fair, "form": form}, status=200)
