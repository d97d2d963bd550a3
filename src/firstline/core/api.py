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
import re
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
from ninja.openapi.schema import OpenAPISchema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema, field_validator
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


# --- numbers the database can hold -------------------------------------------------------
#
# An integer beyond its column's range reached the database and failed there (SQLite:
# "Python int too large", PostgreSQL: "out of range") with a server error. Every integer
# an endpoint takes is one of these types, or narrower: out of range answers 422 naming
# the field, before any query (tests/platform/test_openapi_schema.py checks that every
# integer in the OpenAPI document has both bounds).

INT_MAX = 2**31 - 1  # IntegerField and PositiveIntegerField, on every backend
ROW_ID_MAX = 2**63 - 1  # BigAutoField, every primary key (settings.DEFAULT_AUTO_FIELD)

# A row's id, in a path, a query or a body.
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]
# A positive integer column: quantities, numbers.
PositiveInt = Annotated[int, Field(ge=1, le=INT_MAX)]
# A non-negative integer column: counts, a quantity that may be 0.
NonNegativeInt = Annotated[int, Field(ge=0, le=INT_MAX)]


# --- a model's choices -------------------------------------------------------------------------


def Choice(choices: type[models.TextChoices]) -> Any:
    """A model's TextChoices as an API field's type, documented inline: the document
    names a choices class by its bare name (`Kind`, `State`), and two of one name
    would clash (`SchemaNameClash`). The value is still the enumeration's member."""
    return Annotated[
        choices,
        WithJsonSchema({"type": "string", "enum": [str(value) for value in choices.values]}),
    ]


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


MAX_PAGE = 1_000_000  # far past the end of any list: 500 million rows at the largest page
MAX_PAGE_SIZE = 500


class ScopedPagination(PageNumberPagination):
    """The one pagination of every API list (`@paginate(ScopedPagination)`, which
    `scoped_list` applies): `page` from 1 and `page_size` up to 500, 50 by default. A
    number out of range answers 422 naming it; a page past the end is an empty page
    (`count` still tells how many there are)."""

    page_size = 50
    max_page_size = MAX_PAGE_SIZE

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="From 1; past the end, no items.")
        page_size: int | None = Field(
            None, ge=1, le=MAX_PAGE_SIZE, description="Items a page: 50 when left out."
        )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=self.page_size, max_page_size=self.max_page_size, **kwargs)


def english_noun(model, *, plural: bool) -> str:
    """What the API docs call a model's rows: the docs are for integrators and in
    English, while verbose names are Chinese. From the class name ("DailyReport" →
    "daily reports", "InboundBatch" → "inbound batches"); an endpoint may name it
    better (`noun=`)."""
    words = re.findall(r"[A-Z][a-z0-9]*", model.__name__) or [model.__name__]
    noun = " ".join(word.lower() for word in words)
    if not plural:
        return noun
    if noun.endswith(("s", "x", "ch", "sh")):
        return f"{noun}es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{noun[:-1]}ies"
    return f"{noun}s"


class ScopedRouter(Router):
    """A Router whose list and detail endpoints are declared, and scoped by construction.
    Their summaries are English (`noun`, or the model's class name in words)."""

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
        noun: str = "",
    ):
        filter_schema = filters or SearchQuery
        noun = noun or english_noun(model, plural=True)

        @self.get(
            path,
            response=list[schema],
            operation_id=name or f"list_{model._meta.model_name}",
            summary=f"List {noun} (scoped, paginated)",
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
        noun: str = "",
    ):
        noun = noun or english_noun(model, plural=False)

        @self.get(
            path,
            response=schema,
            operation_id=name or f"get_{model._meta.model_name}",
            summary=f"One {noun} (404 outside your scope)",
        )
        def endpoint(request, pk: RowId):
            return scoped_object(request, model, permission, pk, refine)

        return endpoint


# --- the document: every answer an operation can give ----------------------------------------

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "One item per field and message; `loc` is where the input lives "
        "(body, query or path, then the field's path).",
        "properties": {
            "detail": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                        "msg": {"type": "string"},
                    },
                    "required": ["type", "loc", "msg"],
                },
            }
        },
        "required": ["detail"],
    },
}


def _error(description: str, name: str = "Error") -> dict:
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


class SchemaNameClash(ninja.errors.ConfigError):
    pass


class _CheckedOpenAPISchema(OpenAPISchema):
    def add_schema_definitions(self, definitions: dict) -> None:
        # ninja keeps the last of two schemas of one name: an operation would then
        # document another's body or response. Refuse instead.
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                raise SchemaNameClash(
                    f"two API schemas are named {name!r}: give one of them another name "
                    "(a model's choices: `core.api.Choice(Model.Kind)`)"
                )
        super().add_schema_definitions(definitions)


class DocumentedAPI(ninja.NinjaAPI):
    """The NinjaAPI whose OpenAPI document lists every answer an operation can give,
    not only its success: 400 (a body that is not JSON), 401 and 403 (an operation
    with authentication), 404 (a row outside the caller's scope, a path that is no
    row) and 422 (a field refused: ninja's shape, `unprocessable`), each with its
    schema, unless the operation declares that code itself. Two schemas of one name
    are refused when the document is built (`SchemaNameClash`). Built once a process:
    the routes do not change while it runs, and building takes a second."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._documents:
            self._documents[path_prefix] = self._document(path_prefix)
        return self._documents[path_prefix]

    def _document(self, path_prefix: str) -> OpenAPISchema:
        document = _CheckedOpenAPISchema(self, path_prefix)
        document["components"].setdefault("schemas", {}).update(ERROR_SCHEMAS)
        for operations in document["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                errors = {404: _error("Not found, or outside the caller's scope")}
                if operation.get("requestBody"):
                    errors[400] = _error("The body is not JSON")
                if operation.get("security"):
                    errors[401] = _error("Not signed in, or an unknown token")
                    errors[403] = _error("No permission for this operation")
                if operation.get("requestBody") or operation.get("parameters"):
                    errors[422] = _error("A field refused, named in `loc`", "FieldErrors")
                for status, answer in sorted(errors.items()):
                    if status not in responses and str(status) not in responses:
                        responses[status] = answer
        return document
