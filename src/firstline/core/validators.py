"""Text no entry point accepts: a NUL character (PostgreSQL cannot store it in a text
column, so the write failed with a server error) and a lone UTF-16 surrogate (it has
no UTF-8 form: the database driver, the JSON writer and the hash of a token all fail
on it). Both only come from a probe or a broken client, never from a person typing.

Refused at the edge with a 422 naming the field, in two places:
`core.middleware.TextInputMiddleware` (the URL path, query parameters and form fields
of every page and API request, before any form or view reads them: a search box,
a choice or a field read straight from request.POST as much as a form's CharField)
and `core.api.Schema` / `core.api.Text` (the text of every API body, field by field,
so a batch item is refused alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# The API's message (its messages are English, like the schema's own); a page says it
# in the user's language (templates/errors/422.html).
BAD_TEXT_MESSAGE = "Text may not contain a NUL character or an unpaired surrogate"


def shown(name: str) -> str:
    """A name that may hold bad text, printable (a lone surrogate cannot be encoded)."""
    return BAD_TEXT.sub("\ufffd", name)


def bad_text_path(data) -> tuple | None:
    """The path to the first text (a string value or a key) holding NUL or a lone
    surrogate in JSON-like data (dicts, lists, strings), or None. Keys in the path
    are printable (`shown`). Iterative: any depth json.loads accepts."""
    stack: list[tuple[tuple, object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if BAD_TEXT.search(value):
                return path
        elif isinstance(value, dict):
            children = []
            for key, child in value.items():
                if isinstance(key, str) and BAD_TEXT.search(key):
                    return (*path, shown(key))
                children.append(((*path, key), child))
            stack.extend(reversed(children))
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed([((*path, n), child) for n, child in enumerate(value)]))
    return None


def first_bad_field(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    """The name (printable) of the first field whose name or any value holds bad text;
    `pairs` as a QueryDict's `lists()`."""
    for name, values in pairs:
        if BAD_TEXT.search(name) or any(BAD_TEXT.search(v) for v in values):
            return shown(name)
    return None
