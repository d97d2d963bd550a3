"""The API's docs are for integrators, and in English: every operation's summary and
description, the tags and the document's own title, whatever language the pages are
in. (Field descriptions may name a Chinese term in parentheses; error messages are
the users' language, as on the pages.) The scoped list and detail endpoints take
their noun from the model's class name (core.api.english_noun), not its Chinese
verbose name."""

import re

import pytest
from django.utils import translation

from firstline.core.api import english_noun

OPENAPI = "/api/v1/openapi.json"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")

# Reviewed exceptions: "METHOD /path" → why its summary or description may not be
# English. Empty: keep it so.
EXCEPTIONS: dict[str, str] = {}

pytestmark = pytest.mark.django_db


def offences(document: dict) -> list[str]:
    out = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            if key in EXCEPTIONS:
                continue
            if not (operation.get("summary") or "").strip():
                out.append(f"{key}: no summary")
            for field in ("summary", "description"):
                if CJK.search(operation.get(field) or ""):
                    out.append(f"{key} {field}: {operation[field]!r}")
            out += [f"{key} tag: {tag!r}" for tag in operation.get("tags", []) if CJK.search(tag)]
    for field in ("title", "description"):
        if CJK.search(document["info"].get(field) or ""):
            out.append(f"info {field}")
    return out


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operation_summaries_and_descriptions_are_english(client, language):
    with translation.override(language):
        document = client.get(OPENAPI, headers={"accept-language": language}).json()
    assert len(document["paths"]) > 50, "the walk must see the whole document"
    assert offences(document) == []
    assert set(EXCEPTIONS) <= {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
    }, "an exception for an operation that no longer exists"


def test_english_nouns_from_class_names():
    class DailyReport: ...

    class InboundBatch: ...

    class Pass: ...

    class Company: ...

    class Key: ...

    assert english_noun(DailyReport, plural=True) == "daily reports"
    assert english_noun(DailyReport, plural=False) == "daily report"
    assert english_noun(InboundBatch, plural=True) == "inbound batches"
    assert english_noun(Pass, plural=True) == "passes"
    assert english_noun(Company, plural=True) == "companies"
    assert english_noun(Key, plural=True) == "keys"
