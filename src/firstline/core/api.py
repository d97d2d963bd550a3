"""The API's base: authentication (session for pages, hashed bearer tokens for
devices and integrations) and the scoped router every tenant endpoint uses.

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
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer, SessionAuth

from firstline.core.selectors import scope_for_user
from firstline.core.tenancy import is_scoped
from firstline.orgs.middleware import second_factor_pending


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are stored as SHA-256 hashes."""

    def authenticate(self, request: HttpRequest, token: str):
        from firstline.orgs.models import ApiToken

        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        request.scope = scope_for_user(row.user)
        return row.user


class ScopedSessionAuth(SessionAuth):
    """The browser session (CSRF checked on writes), with the request's scope."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is not None and second_factor_pending(request):
            # /api/ is exempt from TwoFactorMiddleware: a session that has only the
            # password (or an admin who must set up 2FA) must not reach the API either.
            return None
        if user is not None and not hasattr(request, "scope"):
            request.scope = scope_for_user(user)
        return user


AUTH = [BearerTokenAuth(), ScopedSessionAuth()]


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
