"""The API's base: the scoped router every tenant endpoint uses. Authentication
(the session for pages, hashed bearer tokens for devices and integrations) is the
orgs app's (`orgs.api.AUTH`); it puts the caller's scope on the request.

    router = ScopedRouter(tags=["estates"])
    router.scoped_list("/sites", Site, "estates.view_site", SiteOut, refine=..., search=...)
    router.scoped_detail("/sites/{int:pk}", Site, "estates.view_site", SiteOut)

`scoped_object` is the one way an endpoint fetches a tenant row by id: outside
the caller's scope it raises 404, the same as a missing row.

A service's ValidationError answers 422 in ninja's own shape, one item per field
and message, the same as a schema error (`validation_errors_as_422`, `unprocessable`).
"""

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import ninja
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AfterValidator, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from firstline.core.tenancy import is_scoped
from firstline.core.validators import BAD_TEXT, BAD_TEXT_MESSAGE, bad_text_path

# --- text every API body refuses (core/validators.py) ---------------------------------------


def clean_text(value: str) -> str:
    """Refuses text holding NUL or a lone surrogate: a 422 at the field (pydantic)."""
    if BAD_TEXT.search(value):
        raise PydanticCustomError("bad_text", BAD_TEXT_MESSAGE)
    return value


# A text field of a plain pydantic model (the gate's lean batch items); a `Schema`
# checks its text fields by itself.
Text = Annotated[str, AfterValidator(clean_text)]


class Schema(ninja.Schema):
    """The base of every API schema (apps import it from here, not from ninja): each
    text field, and text inside a list or dict field, refuses NUL and lone surrogates
    with a 422 naming the field. Responses are not checked (ninja validates them with
    a `response_status` in the context)."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_bad_text(cls, value: Any, info: ValidationInfo) -> Any:
        if info.context and "response_status" in info.context:
            return value
        if isinstance(value, str):
            return clean_text(value)
        if isinstance(value, (list, tuple, dict)) and bad_text_path(value) is not None:
            raise PydanticCustomError("bad_text", BAD_TEXT_MESSAGE)
        return value


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


BODY = ("body", "payload")  # where ninja puts a body parameter named `payload`


def unprocessable(
    exc: ValidationError,
    *,
    loc: Sequence[str] = BODY,
    renames: Mapping[str, str] | None = None,
) -> NinjaValidationError:
    """A service's ValidationError as ninja's 422: one item per field and message,
    located like a schema error of the same field. `loc` is where the input lives
    (the body parameter by default, ("query",) for query parameters); `renames`
    maps a service's field names to the request's ("resident" → "resident_id"). A
    message that belongs to no field is located at `loc` itself."""
    renames = renames or {}
    if hasattr(exc, "error_dict"):
        named = exc.message_dict.items()
    else:
        named = [(NON_FIELD_ERRORS, exc.messages)]
    return NinjaValidationError(
        [
            {
                "type": "value_error",
                "loc": [*loc] if name == NON_FIELD_ERRORS else [*loc, renames.get(name, name)],
                "msg": message,
            }
            for name, messages in named
            for message in messages
        ]
    )


@contextmanager
def validation_errors_as_422(
    *, loc: Sequence[str] = BODY, renames: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Wrapped around an endpoint's service call, it answers the service's
    ValidationError with a 422 (`unprocessable`); the endpoint reads as the call alone."""
    try:
        yield
    except ValidationError as exc:
        raise unprocessable(exc, loc=loc, renames=renames) from None


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
