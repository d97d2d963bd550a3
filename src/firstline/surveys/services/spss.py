"""The responses as an SPSS data file (.sav), streamed: the dictionary written by
pyreadstat (ReadStat), the rows by us, chunk by chunk, as they come from the database.

One row per response. A single choice is one numeric variable whose codes carry the
choices as value labels (the choices' own names when they are all whole numbers, as
many forms number them; else 1, 2, … in the form's order); a multiple choice is one
0/1 variable per option (`needs_tax`, `needs_subsidy`, …), missing where the question
was not answered, as SPSS users tabulate them; numbers are numeric, dates are SPSS
dates, free text is text. Every variable carries its question's label (Chinese) as
its variable label.

Memory stays flat whatever the number of responses. pyreadstat can only write a
whole data frame (it declares the row count first and then reads the frame row by
row), which at 1,000,000 responses held ~190 MB of columns and peaked at 530 MB. So
pyreadstat writes the file's dictionary only (variables, labels, value labels,
formats, measures, the encoding), from a one-row frame whose text cells are as long
as the longest answer (the widths come from one aggregate query first); its row is
cut off, and the rows are appended here in SPSS's bytecode ("row") compression,
exactly as ReadStat lays them out (tests/test_spss.py compares the bytes with
pyreadstat's own output for the same rows): per row, commands of eight one-byte
codes, each followed by the 8-byte values it announces — 1 to 251 a whole number
plus 100, 253 a raw double or 8 bytes of text, 254 eight spaces, 255 missing; a
row's last block padded with 0; code 252 ends the file. A text wider than 255 bytes
is a "very long string": segments of 255 bytes, each padded to 256, the last as
wide as the rest. The row count in the header is written last, from the rows
actually read. bench/surveys.py measures the peak at 1,000,000 responses
(`sav_peak_rss_mb`).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Func, IntegerField, Max
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.surveys.models import Question
from firstline.surveys.services.uploads import url_prefix

CHUNK = 5_000
SPSS_EPOCH = datetime(1582, 10, 14)  # SPSS counts seconds from the Gregorian reform
_EPOCH_ORDINAL = SPSS_EPOCH.toordinal()
NAME_MAX = 64
NUMBER_KINDS = (Question.Type.INTEGER, Question.Type.DECIMAL, Question.Type.CALCULATE)


def spss_name(raw: str, taken: set[str]) -> str:
    """A valid, unique SPSS variable name for `raw`: letters, digits and _ . @ # $,
    beginning with a letter, at most 64 bytes, case-insensitively unique."""
    name = re.sub(r"[^\w.@#$]", "_", raw, flags=re.ASCII).strip(".")
    if not name or not name[0].isalpha():
        name = f"v_{name}"
    name = name[:NAME_MAX]
    base, n = name, 1
    while name.lower() in taken:
        n += 1
        suffix = f"_{n}"
        name = base[: NAME_MAX - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _codes_of(choices: list[dict]) -> dict[str, int]:
    """The numeric code of each choice: its own name when every name is a whole number."""
    names = [c["name"] for c in choices]
    if names and all(re.fullmatch(r"-?\d{1,6}", n) for n in names):
        return {n: int(n) for n in names}
    return {n: i for i, n in enumerate(names, start=1)}


def _date_number(text: str) -> float:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return math.nan
    return float((day.toordinal() - _EPOCH_ORDINAL) * 86_400)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _selected(text: str) -> list[str]:
    """The codes of a stored multiple choice: a JSON list or space-separated codes."""
    if text.startswith("["):
        import json

        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            return []
    return text.split()


@dataclass
class Variable:
    """One column of the .sav: its name, label, storage and value labels."""

    name: str
    label: str
    kind: str  # "code" (int16), "flag" (int8), "number", "date", "datetime", "text"
    value_labels: dict = field(default_factory=dict)
    width: int = 1  # text: the longest value in bytes (at least 1)


def _question_variables(question: Question, taken: set[str]) -> list[Variable]:
    label = question.label or question.name
    if question.matrix_label:  # a matrix's row: the matrix's title first
        label = f"{question.matrix_label}：{label}"
    kind = question.type
    if question.is_single_choice:
        codes = _codes_of(question.choices)
        labels = {codes[c["name"]]: c.get("label") or c["name"] for c in question.choices}
        return [Variable(spss_name(question.name, taken), label, "code", labels)]
    if kind == Question.Type.SELECT_MULTIPLE:
        flags = {0: _("未选"), 1: _("选中")}
        return [
            Variable(
                spss_name(f"{question.name}_{c['name']}", taken),
                f"{label}：{c.get('label') or c['name']}",
                "flag",
                flags,
            )
            for c in question.choices
        ]
    if kind in NUMBER_KINDS:
        return [Variable(spss_name(question.name, taken), label, "number")]
    if kind == Question.Type.DATE:
        return [Variable(spss_name(question.name, taken), label, "date")]
    return [Variable(spss_name(question.name, taken), label, "text")]


META_COLUMNS = ("district_code", "site_type", "size_band")


def _meta_variables(taken: set[str]) -> list[Variable]:
    return [
        Variable(spss_name("response_id", taken), _("答卷编号"), "number"),
        Variable(spss_name("submitted_at", taken), _("提交时间"), "datetime"),
        Variable(spss_name("district_code", taken), _("区县代码"), "text"),
        Variable(spss_name("site_type", taken), _("项目类型"), "text"),
        Variable(spss_name("size_band", taken), _("企业规模"), "text"),
    ]


# --- the rows in bytecode compression ---------------------------------------------------------

MISSING, SPACES, RAW, END, BIAS = 255, 254, 253, 252, 100
_BLANK = b"        "
_double = struct.Struct("<d").pack


def _number_slot(value: float | None):
    """One numeric cell: its code (a whole number from -99 to 151, or missing), or
    its 8 raw bytes."""
    if value is None or value != value:  # None or NaN
        return MISSING
    if -BIAS < value < 256 - BIAS - 4 and value == int(value):
        return int(value) + BIAS
    return _double(value)


def _segments(width: int) -> list[tuple[int, int]]:
    """(first byte, 8-byte slots) of each segment of a text `width` bytes wide."""
    if width <= 255:
        return [(0, (max(width, 1) + 7) // 8)]
    count = (width + 251) // 252
    last = width - 252 * (count - 1)
    return [(255 * k, 32) for k in range(count - 1)] + [(255 * (count - 1), (last + 7) // 8)]


def _text_slots(width: int):
    segments = _segments(width)
    whole = sum(n for _start, n in segments)

    def slots(text: str | None, out: list) -> None:
        data = (text or "").encode("utf-8")
        if not data:
            out.extend([SPACES] * whole)
            return
        if len(data) > width:  # longer than the widths said (answered since): cut whole
            data = data[:width].decode("utf-8", "ignore").encode("utf-8")
        for start, n in segments:
            piece = data[start : start + min(255, n * 8)].ljust(n * 8, b" ")
            for i in range(0, n * 8, 8):
                cell = piece[i : i + 8]
                out.append(SPACES if cell == _BLANK else cell)

    return slots


def _pack(slots: list, out: bytearray) -> int:
    """One row's slots as command blocks into `out`; returns where its last block's
    first unused code is (the end-of-file code goes there after the last row)."""
    codes = bytearray()
    data = bytearray()
    for slot in slots:
        if isinstance(slot, int):
            codes.append(slot)
        else:
            codes.append(RAW)
            data += slot
        if len(codes) == 8:
            out += codes
            out += data
            codes.clear()
            data.clear()
    at = len(out) + len(codes)
    out += codes.ljust(8, b"\0")
    out += data
    return at


def _cell_filler(question: Question, variables: list[Variable]):
    """Appends the slots of one response's cell of `question` (its text as the
    database gives it) to a row's slots."""
    kind = question.type
    if question.is_single_choice:
        codes = {name: _number_slot(code) for name, code in _codes_of(question.choices).items()}
        return lambda text, out: out.append(MISSING if text is None else codes.get(text, MISSING))
    if kind == Question.Type.SELECT_MULTIPLE:
        names = [c["name"] for c in question.choices]
        missing = [MISSING] * len(names)
        off, on = _number_slot(0), _number_slot(1)

        def many(text, out):
            if text is None:
                out.extend(missing)
                return
            chosen = set(_selected(text))
            out.extend(on if name in chosen else off for name in names)

        return many
    if kind in NUMBER_KINDS:
        return lambda text, out: out.append(
            MISSING if text is None else _number_slot(_number(text))
        )
    if kind == Question.Type.DATE:
        return lambda text, out: out.append(
            MISSING if text is None else _number_slot(_date_number(text))
        )
    slots = _text_slots(variables[0].width)
    if question.is_upload:  # the file's address
        prefix = url_prefix()
        return lambda text, out: slots(None if text is None else prefix + text, out)
    return slots


def _seconds(at: datetime) -> float:
    local = timezone.localtime(at)
    return float((local.toordinal() - _EPOCH_ORDINAL) * 86_400 + local.hour * 3600) + (
        local.minute * 60 + local.second
    )


# --- widths, the dictionary, the file -------------------------------------------------------


class _Bytes(Func):
    """A text's length in bytes (the .sav's widths are bytes of UTF-8)."""

    function = "OCTET_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="LENGTH(CAST(%(expressions)s AS BLOB))", **extra
        )


def _widths(responses, questions, per_question, meta) -> None:
    """Each text variable's width: its longest value in bytes, one aggregate query."""
    texts = {
        f"w{i}": Max(_Bytes(KT(f"answers__{q.name}")))
        for i, (q, vs) in enumerate(zip(questions, per_question, strict=True))
        if vs and vs[0].kind == "text"
    }
    texts.update({f"m{i}": Max(_Bytes(column)) for i, column in enumerate(META_COLUMNS)})
    found = responses.order_by().aggregate(**texts) if texts else {}
    prefix = len(url_prefix().encode("utf-8"))
    for i, (q, vs) in enumerate(zip(questions, per_question, strict=True)):
        if f"w{i}" in found:
            vs[0].width = max((found[f"w{i}"] or 0) + (prefix if q.is_upload else 0), 1)
    for i, variable in enumerate(meta[2:]):
        variable.width = max(found.get(f"m{i}") or 0, 1)


def _template(variables: list[Variable]):
    """A one-row frame of the variables' storage types, each text as wide as its width."""
    import polars as pl

    dtypes = {"code": pl.Int16, "flag": pl.Int8, "text": pl.String}
    return pl.DataFrame(
        [
            pl.Series(
                v.name,
                ["x" * v.width] if v.kind == "text" else [1],
                dtype=dtypes.get(v.kind, pl.Float64),
            )
            for v in variables
        ]
    )


def _write_dictionary(path, variables: list[Variable], meta: list[Variable], file_label: str):
    """pyreadstat writes the header and the dictionary (and a row we cut off)."""
    import pyreadstat

    formats = {v.name: "DATE11" for v in variables if v.kind == "date"}
    formats.update({v.name: "DATETIME20" for v in variables if v.kind == "datetime"})
    formats.update({v.name: "F1.0" for v in variables if v.kind == "flag"})
    formats.update(
        {
            v.name: f"F{max(4, *(len(str(int(k))) for k in v.value_labels))}.0"
            for v in variables
            if v.kind == "code" and v.value_labels
        }
    )
    formats[meta[0].name] = "F12.0"
    measure = {v.name: "nominal" for v in variables if v.kind in ("code", "flag", "text")}
    measure.update({v.name: "scale" for v in variables if v.kind in ("number",)})
    pyreadstat.write_sav(
        _template(variables),
        str(path),
        file_label=file_label[:64],
        column_labels=[v.label[:255] for v in variables],
        variable_value_labels={v.name: v.value_labels for v in variables if v.value_labels},
        variable_format=formats,
        variable_measure=measure,
        compress=False,
        row_compress=True,
    )


HEADER_CASES = 80  # where the file header keeps the number of rows (int32)
DICTIONARY_END = 999


def data_start(head: bytes) -> int:
    """Where a .sav's rows begin: after its dictionary's records (record 999 + 4 bytes)."""
    pos = 176  # the file header
    while True:
        (kind,) = struct.unpack_from("<i", head, pos)
        if kind == 2:  # a variable: fixed part, label, missing values
            has_label, missing = struct.unpack_from("<ii", head, pos + 8)
            pos += 32
            if has_label:
                (size,) = struct.unpack_from("<i", head, pos)
                pos += 4 + (size + 3) // 4 * 4
            pos += 8 * abs(missing)
        elif kind == 3:  # value labels
            (count,) = struct.unpack_from("<i", head, pos + 4)
            pos += 8
            for _n in range(count):
                pos += 8 + (head[pos + 8] + 8) // 8 * 8
        elif kind == 4:  # the variables the labels are for
            (count,) = struct.unpack_from("<i", head, pos + 4)
            pos += 8 + 4 * count
        elif kind == 6:  # documents
            (count,) = struct.unpack_from("<i", head, pos + 4)
            pos += 8 + 80 * count
        elif kind == 7:  # extensions: subtype, size, count
            size, count = struct.unpack_from("<ii", head, pos + 8)
            pos += 16 + size * count
        elif kind == DICTIONARY_END:
            return pos + 8
        else:
            raise ValueError(f"unexpected .sav record {kind} at {pos}")


def sav_write(
    path,
    responses,
    questions: Iterable[Question],
    *,
    chunk: int = CHUNK,
    advance: Callable[[int], None] | None = None,
    file_label: str = "",
) -> int:
    """Write the responses to `path` (.sav); returns how many rows it holds.
    `advance(n)` is called after every `n` rows read (a progress bar)."""
    questions = [q for q in questions if q.type != Question.Type.NOTE]
    taken: set[str] = set()
    meta = _meta_variables(taken)
    per_question = [_question_variables(q, taken) for q in questions]
    variables = meta + [v for group in per_question for v in group]
    _widths(responses, questions, per_question, meta)
    _write_dictionary(path, variables, meta, file_label)

    fillers = [_cell_filler(q, vs) for q, vs in zip(questions, per_question, strict=True)]
    district, site_type, band = (_text_slots(v.width) for v in meta[2:])
    asked = {f"q{i}": KT(f"answers__{q.name}") for i, q in enumerate(questions)}
    values = (
        responses.order_by("id")
        .annotate(**asked)
        .values_list("id", "submitted_at", *META_COLUMNS, *asked)
    )
    count = since = 0
    end_at = -1
    with open(path, "r+b") as out:
        out.seek(data_start(out.read()))
        out.truncate()
        block = bytearray()
        written = out.tell()
        for row in values.iterator(chunk_size=chunk):
            slots: list = [_number_slot(float(row[0])), _double(_seconds(row[1]))]
            district(row[2], slots)
            site_type(row[3], slots)
            band(row[4], slots)
            for fill, cell in zip(fillers, row[5:], strict=True):
                fill(None if cell is None else str(cell), slots)
            end_at = written + _pack(slots, block)
            count += 1
            since += 1
            if since >= chunk:
                out.write(block)
                written += len(block)
                block.clear()
                if advance:
                    advance(since)
                since = 0
        out.write(block)
        if advance and since:
            advance(since)
        if end_at >= 0:
            out.seek(end_at)
            out.write(bytes([END]))
        out.seek(HEADER_CASES)
        out.write(struct.pack("<i", count))
    return count
