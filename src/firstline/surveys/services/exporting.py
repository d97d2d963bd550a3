"""Exports of a survey's responses, one row per response, codes or labels: CSV
streamed line by line (StreamingHttpResponse over a server-side cursor, so memory
stays flat however many rows), XLSX through a write-only workbook into a temporary
file, SPSS .sav (services/spss.py), and the form itself as XLSForm. Every export of
responses writes an audit row. Past a format's row limit (`streams`) the pages run
the export in the background instead (tasks.py), through `write_file`.

The database pulls each answer out of the JSON column (`answers->>'q'`), so Python
gets plain text per cell and never decodes the JSON documents; numbers are turned
back into numbers (a negative number must not look like a formula)."""

from __future__ import annotations

import json
import tempfile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.fields.json import KT
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core import exporting
from firstline.core.services import audit_record
from firstline.surveys.models import AuditAction, Question, Survey
from firstline.surveys.services import spss, uploads, xlsform

CHUNK = 5_000
META = ("response_id", "submitted_at", "district_code", "site_type", "size_band")
MULTI_SEPARATOR = " "
FORMATS = ("csv", "xlsx", "sav")
# Up to these many rows an export is sent at once; more go to a background task with
# a progress bar (settings.SURVEYS_EXPORT_STREAM_ROWS may say otherwise). COPY streams
# CSV fast; a workbook or a .sav takes seconds per 10,000 rows.
STREAM_ROWS = {"csv": 200_000, "xlsx": 20_000, "sav": 50_000}
CONTENT_TYPES = {**exporting.CONTENT_TYPES, "sav": "application/x-spss-sav"}
# Excel's rows per sheet, the header row included (tests lower it).
XLSX_MAX_ROWS = 1_048_576


def refusal(fmt: str, count: int) -> str:
    """Why an export of `count` responses in `fmt` cannot be made ('' when it can)."""
    if fmt == "xlsx" and count + 1 > XLSX_MAX_ROWS:
        return _(
            "共 %(n)s 份答卷，超过 Excel 单个工作表的上限（%(max)s 行，含表头），"
            "无法导出为 XLSX。请改用 CSV 或 SPSS（.sav）导出，或用筛选缩小范围。"
        ) % {"n": f"{count:,}", "max": f"{XLSX_MAX_ROWS:,}"}
    return ""


def check_rows(fmt: str, count: int) -> None:
    """ValidationError (at `format`) when `refusal` says no."""
    if message := refusal(fmt, count):
        raise ValidationError({"format": message}, code="too_many_rows")


def _capped(items, limit: int):
    """The items passed through; ValidationError past `limit` of them (rows that
    arrived after the count), before the workbook is finished."""
    try:
        for n, item in enumerate(items, start=1):
            if n > limit:
                check_rows("xlsx", n)
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:  # the server-side cursor, now rather than when collected
            close()


def streams(fmt: str, count: int) -> bool:
    """Whether an export of `count` rows is sent at once (else it runs in the background)."""
    from django.conf import settings

    limits = {**STREAM_ROWS, **getattr(settings, "SURVEYS_EXPORT_STREAM_ROWS", {})}
    return count <= limits[fmt]


def header(questions: list[Question], *, labels: bool) -> list[str]:
    names = [q.label or q.name for q in questions] if labels else [q.name for q in questions]
    return [*META, *names]


def _converter(question: Question, labels: bool):
    kind = question.type
    if question.is_upload:  # the file's address (its storage path is its page's path)
        prefix = uploads.url_prefix()
        return lambda value: None if value in (None, "") else prefix + value
    by_code = {c["name"]: c.get("label") or c["name"] for c in question.choices}
    if kind == Question.Type.SELECT_MULTIPLE:

        def multi(value):
            if value is None:
                return None
            if isinstance(value, list):
                codes = value
            else:
                codes = json.loads(value) if value.startswith("[") else value.split()
            return ("；" if labels else MULTI_SEPARATOR).join(
                by_code.get(c, c) if labels else c for c in codes
            )

        return multi
    if question.is_single_choice:
        if labels:
            return lambda value: None if value is None else by_code.get(value, value)
        return None
    if kind in (Question.Type.INTEGER, Question.Type.DECIMAL, Question.Type.CALCULATE):

        def number(value):
            if value is None or value == "" or isinstance(value, (int, float)):
                return None if value == "" else value
            try:
                return int(value)
            except ValueError:
                try:
                    return float(value)
                except ValueError:
                    return value

        return number
    return None


def rows(responses, questions: list[Question], *, labels: bool, chunk: int = CHUNK):
    """Each response as a list of cells, read in chunks from a server-side cursor."""
    asked = {f"q{i}": KT(f"answers__{q.name}") for i, q in enumerate(questions)}
    keys = list(asked)
    converters = [_converter(q, labels) for q in questions]
    pairs = [(i, c) for i, c in enumerate(converters) if c is not None]
    values = (
        responses.order_by("id")
        .annotate(**asked)
        .values_list("id", "submitted_at", "district_code", "site_type", "size_band", *keys)
    )
    width = len(META)
    for row in values.iterator(chunk_size=chunk):
        out = list(row)
        out[1] = timezone.localtime(out[1]).strftime("%Y-%m-%d %H:%M:%S")
        for i, convert in pairs:
            out[width + i] = convert(out[width + i])
        yield out


# --- PostgreSQL: the same CSV made by COPY ------------------------------------------------
#
# On PostgreSQL the export is the database's own COPY … TO STDOUT (CSV) of one SELECT
# that does what `rows` does in Python: the answers out of the JSON, labels for codes,
# multiple choices joined, the time in local time, and the formula rule of
# core/exporting.py (text starting with = + - @ tab or CR gets a leading apostrophe;
# numbers are left alone). Python only passes the blocks on, so the export runs at
# the speed of COPY. tests/test_results.py checks it gives the Python path's rows.

FORMULA_RE = "^([=+@\t\r-])"
TABLE = '"surveys_response"'
COPY_CHUNK = 64 * 1024


def _safe(sql: str, params: list) -> tuple[str, list]:
    """The formula rule in SQL: one evaluation of the value, an apostrophe put before
    a first character that would start a formula."""
    return f"regexp_replace({sql}, %s, %s)", [*params, FORMULA_RE, "'\\1"]


def _case(value_sql: str, params: list, choices: list[dict]) -> tuple[str, list]:
    if not choices:
        return value_sql, params
    parts, out = [], list(params)
    for choice in choices:
        parts.append("WHEN %s THEN %s")
        out += [choice["name"], choice.get("label") or choice["name"]]
    return f"CASE {value_sql} {' '.join(parts)} ELSE {value_sql} END", [*out, *params]


def _sql_cell(question: Question, labels: bool) -> tuple[str, list]:
    """One cell's SQL. Codes and labels are known from the form, so only a choice
    whose code or label could start a formula pays for the formula rule; free text
    always does."""
    kind = question.type
    value = f'({TABLE}."answers" ->> %s)'
    if question.is_upload:  # the file's address: NULL stays NULL
        return f"(%s || {value})", [uploads.url_prefix(), question.name]
    if kind in (Question.Type.INTEGER, Question.Type.DECIMAL, Question.Type.CALCULATE):
        return value, [question.name]
    shown = [(c.get("label") or c["name"]) if labels else c["name"] for c in question.choices]
    risky = any(exporting.looks_like_formula(text) for text in shown)
    if kind == Question.Type.SELECT_MULTIPLE:
        element, params = ("e", [])
        if labels:
            element, params = _case("e", [], question.choices)
        joined = (
            f"NULLIF(array_to_string(ARRAY(SELECT {element} FROM "  # noqa: S608 - constants; values are params
            f"jsonb_array_elements_text({TABLE}.\"answers\" -> %s) AS e), %s), '')"
        )
        cell = (joined, [*params, question.name, "；" if labels else MULTI_SEPARATOR])
        return _safe(*cell) if risky else cell
    if question.is_single_choice:
        cell = (
            _case(value, [question.name], question.choices) if labels else (value, [question.name])
        )
        return _safe(*cell) if risky else cell
    if kind == Question.Type.DATE:
        return value, [question.name]
    return _safe(value, [question.name])


def _copy_blocks(responses, questions: list[Question], *, labels: bool, advance=None):
    from django.conf import settings
    from django.db import connection
    from django.db.models.expressions import RawSQL

    cells = {}
    for i, q in enumerate(questions):
        sql, params = _sql_cell(q, labels)
        cells[f"q{i}"] = RawSQL(sql, params)  # noqa: S611 - constant SQL, every value a param
    at = RawSQL(  # noqa: S611 - constant SQL, the time zone a param
        f"to_char({TABLE}.\"submitted_at\" AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')",
        [settings.TIME_ZONE],
    )
    qs = (
        responses.order_by("id")
        .annotate(at=at, **cells)
        .values_list("id", "at", "district_code", "site_type", "size_band", *cells)
    )
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            buffer = bytearray()
            copied = 0
            for block in copy:  # one row a block: passed on 64 kB at a time
                buffer += block
                copied += 1
                if len(buffer) >= COPY_CHUNK:
                    yield bytes(buffer)
                    buffer.clear()
            if buffer:
                yield bytes(buffer)
    # The connection is the COPY's until it ends: progress is written after it (an
    # UPDATE inside would wait for the COPY, which waits for this generator).
    if advance and copied:
        advance(copied)


def _counted(items, advance, every: int = CHUNK):
    """The items passed through, `advance(n)` called every `every` of them."""
    if advance is None:
        yield from items
        return
    since = 0
    for item in items:
        yield item
        since += 1
        if since >= every:
            advance(since)
            since = 0
    if since:
        advance(since)


def _csv_stream(responses, questions, *, labels: bool, advance=None):
    from django.db import connection

    head = header(questions, labels=labels)
    if connection.vendor != "postgresql":
        body = _counted(rows(responses, questions, labels=labels), advance)
        yield from exporting.csv_stream(head, body)
        return
    yield from exporting.csv_stream(head, [])
    yield from _copy_blocks(responses, questions, labels=labels, advance=advance)


def write_file(out, fmt: str, *, survey: Survey, responses, questions, labels: bool, advance=None):
    """Write the export into the open binary file `out` (a background export):
    the same bytes the page streams or sends, `advance(n)` called as rows are read."""
    if fmt == "csv":
        for block in _csv_stream(responses, questions, labels=labels, advance=advance):
            out.write(block)
    elif fmt == "xlsx":
        exporting.xlsx_write(
            _capped(
                _counted(rows(responses, questions, labels=labels), advance), XLSX_MAX_ROWS - 1
            ),
            out,
            sheet="responses",
            header=header(questions, labels=labels),
        )
    elif fmt == "sav":
        out.flush()
        spss.sav_write(out.name, responses, questions, advance=advance, file_label=survey.title)
    else:
        raise ValueError(f"unknown export format {fmt!r}")


def export_audit(
    *, actor, survey: Survey, fmt: str, labels: bool, filters: dict, rows: int
) -> None:
    """The audit row of an export made in the background (the task's, at its end)."""
    _audit(actor, survey, fmt, labels, filters, background=True, rows=rows)


def export_name(survey: Survey, fmt: str) -> str:
    return _name(survey, fmt)


def _audit(actor, survey: Survey, fmt: str, labels: bool, filters: dict, **more) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.RESPONSE_EXPORT,
            obj=survey,
            changes={"format": fmt, "labels": labels, "filters": filters, **more},
        )


def _name(survey: Survey, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"survey-{survey.pk}-v{survey.version}-{stamp}.{fmt}"


def responses_csv(
    *, actor, survey: Survey, responses, questions, labels: bool, filters: dict
) -> StreamingHttpResponse:
    """The CSV, streamed: the audit row first, then the lines as the cursor gives them."""
    _audit(actor, survey, "csv", labels, filters)
    stream = _csv_stream(responses, questions, labels=labels)
    response = StreamingHttpResponse(stream, content_type=exporting.CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{_name(survey, "csv")}"'
    return response


def responses_xlsx(
    *, actor, survey: Survey, responses, questions, labels: bool, filters: dict
) -> FileResponse:
    """The workbook, written row by row (write-only) into a temporary file."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        exporting.xlsx_write(
            _capped(rows(responses, questions, labels=labels), XLSX_MAX_ROWS - 1),
            out,
            sheet="responses",
            header=header(questions, labels=labels),
        )
        _audit(actor, survey, "xlsx", labels, filters)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=_name(survey, "xlsx"),
        content_type=exporting.CONTENT_TYPES["xlsx"],
    )


def responses_sav(
    *, actor, survey: Survey, responses, questions, labels: bool, filters: dict
) -> FileResponse:
    """The SPSS data file (codes with value labels, whatever `labels` says), written
    into a temporary file (services/spss.py)."""
    out = tempfile.NamedTemporaryFile(suffix=".sav")  # noqa: SIM115 - the response closes it
    try:
        spss.sav_write(out.name, responses, questions, file_label=survey.title)
        _audit(actor, survey, "sav", labels, filters)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=_name(survey, "sav"),
        content_type=CONTENT_TYPES["sav"],
    )


def form_xlsx(*, survey: Survey, questions) -> FileResponse:
    """The survey as an XLSForm workbook, for editing and uploading as a new version."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    xlsform.write(survey, questions, out)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{survey.form_id or 'survey'}-v{survey.version}.xlsx",
        content_type=exporting.CONTENT_TYPES["xlsx"],
    )
