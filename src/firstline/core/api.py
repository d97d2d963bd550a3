"""The API's base: the scoped router every tenant endpoint uses. Authentication
(the session for pages, hashed bearer tokens for devices and integrations) is the
orgs app's (`orgs.api.AUTH`); it puts the caller's scope on the request.

    router = ScopedRouter(tags=["estates"])
    router.scoped_list("/sites", Site, "estates.view_site", SiteOut, refine=..., search=...)
    router.scoped_detail("/sites/{int:pk}", Site, "estates.view_site", SiteOut)

`scoped_object` is the one way an endpoint fetches a tenant row by id: outside
the caller's scope it raises 404, the same as a missing row.
"""

import hashlib
from collections.abc import Callable

from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from firstline.core.tenancy import is_scoped


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def perm_scope(request: HttpRequest, permission: str):
    scope = request.scope.for_perm(permission)
    if not scope.grants:
        raise HttpError(403, "permission denied")
    return scope


def scoped_queryset(request: HttpRequest, model: type[models.Model], permission: str):
    return model.objects.for_scope(perm_scope(request, permission))


def scoped_object(
    request: HttpRequest, model: type[models.Model], permission: str, pk, refine=None
):
    qs = scoped_queryset(request, model, permission)
    if refine is not None:
        qs = refine(qs)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


class SearchQuery(Schema):
    q: str | None = None


class ScopedPagination(PageNumberPagination):
    page_size = 50
    max_page_size = 500


class ScopedRouter(Router):
    """A Router whose list and detail endpoints are declared, and scoped by construction."""

    def scoped_list(
        self,
        path: str,
        model,
        permission: str,
        schema,
        *,
        refine: Callable | None = None,
        search: Callable[[str], Q] | None = None,
        filters: type[Schema] | None = None,
        name: str = "",
    ):
        filter_schema = filters or SearchQuery

        @self.get(
            path,
            response=list[schema],
            operation_id=name or f"list_{model._meta.model_name}",
            summary=f"List {model._meta.verbose_name_plural} (scoped, paginated)",
        )
        @paginate(ScopedPagination)
        def endpoint(request, params: Query[filter_schema]):  # type: ignore[valid-type]
            qs = scoped_queryset(request, model, permission)
            if refine is not None:
                qs = refine(qs)
            data = params.dict(exclude_none=True)
            term = data.pop("q", None)
            if term and search is not None:
                qs = qs.filter(search(term))
            for key, value in data.items():
                qs = qs.filter(**{key: value})
            assert is_scoped(qs)
            return qs

        return endpoint

    def scoped_detail(
        self,
        path: str,
        model,
        permission: str,
        schema,
        *,
        refine: Callable | None = None,
        name: str = "",
    ):
        @self.get(
            path,
            response=schema,
            operation_id=name or f"get_{model._meta.model_name}",
            summary=f"One {model._meta.verbose_name} (404 outside your scope)",
        )
        def endpoint(request, pk: int):
            return scoped_object(request, model, permission, pk, refine)

        return endpoint
