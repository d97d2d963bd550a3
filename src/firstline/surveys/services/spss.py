"""The responses as an SPSS data file (.sav), written by pyreadstat (ReadStat).

One row per response. A single choice is one numeric variable whose codes carry the
choices as value labels (the choices' own names when they are all whole numbers, as
many forms number them; else 1, 2, … in the form's order); a multiple choice is one
0/1 variable per option (`needs_tax`, `needs_subsidy`, …), missing where the question
was not answered, as SPSS users tabulate them; numbers are numeric, dates are SPSS
dates, free text is text. Every variable carries its question's label (Chinese) as
its variable label.

pyreadstat writes from a whole data frame (it declares the row count first), so the
frame is kept small: the rows come from a server-side cursor in chunks, and each
chunk's cells become compact polars (Arrow) column pieces (1 byte a row for a 0/1
option, 2 for a choice code, 8 for a number or a date, text as UTF-8 bytes), so no
more than one chunk is ever held as Python objects and the pieces are never copied
into one. Dates and times are handed over as SPSS numbers with their display
format, which spares pyreadstat its copy of the frame for date columns; pyreadstat
reads the frame back row by row in small buffers as it writes. bench/surveys.py
measures the peak at 1,000,000 responses (`sav_peak_rss_mb`).
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.surveys.models import Question

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
    """One column of the .sav: its name, label, storage and where its cells come from."""

    name: str
    label: str
    kind: str  # "code" (int16), "flag" (int8), "number", "date", "datetime", "text"
    value_labels: dict = field(default_factory=dict)
    values: object = None

    chunks: list = field(default_factory=list)  # the chunks already made columns

    def start(self) -> None:
        self.values = {
            "code": lambda: array("h"),
            "flag": lambda: array("b"),
            "number": lambda: array("d"),
            "date": lambda: array("d"),
            "datetime": lambda: array("d"),
            "text": list,
        }[self.kind]()

    def seal_chunk(self) -> None:
        """The chunk's cells into a compact polars (Arrow) column piece, missing cells as
        nulls (-1 or NaN while growing); the chunk's array is emptied in place (the
        fillers hold it) and grows again for the next chunk."""
        import numpy as np
        import polars as pl

        if not len(self.values):
            return
        if self.kind == "text":
            piece = pl.Series(self.name, self.values, dtype=pl.String)
        elif self.kind in ("code", "flag"):
            kind = np.int16 if self.kind == "code" else np.int8
            piece = pl.Series(self.name, np.frombuffer(self.values, dtype=kind).copy())
            piece = piece.replace(-1, None)
        else:
            data = np.frombuffer(self.values, dtype=np.float64).copy()
            piece = pl.Series(self.name, data).fill_nan(None)
        self.chunks.append(piece)
        del self.values[:]

    def column(self):
        """The whole column: its pieces side by side (not copied into one)."""
        import polars as pl

        self.seal_chunk()
        if not self.chunks:
            empty = {"code": pl.Int16, "flag": pl.Int8, "text": pl.String}
            return pl.Series(self.name, [], dtype=empty.get(self.kind, pl.Float64))
        column = pl.concat(self.chunks, rechunk=False)
        self.chunks = []
        return column


def _question_variables(question: Question, taken: set[str]) -> list[Variable]:
    label = question.label or question.name
    kind = question.type
    if kind == Question.Type.SELECT_ONE:
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


def _meta_variables(taken: set[str]) -> list[Variable]:
    return [
        Variable(spss_name("response_id", taken), _("答卷编号"), "number"),
        Variable(spss_name("submitted_at", taken), _("提交时间"), "datetime"),
        Variable(spss_name("district_code", taken), _("区县代码"), "text"),
        Variable(spss_name("site_type", taken), _("项目类型"), "text"),
        Variable(spss_name("size_band", taken), _("企业规模"), "text"),
    ]


def _filler(question: Question, variables: list[Variable]) -> Callable[[str | None], None]:
    """Appends one response's cell of `question` to its variable(s)."""
    kind = question.type
    if kind == Question.Type.SELECT_ONE:
        codes = _codes_of(question.choices)
        out = variables[0].values

        def one(text):
            out.append(-1 if text is None else codes.get(text, -1))

        return one
    if kind == Question.Type.SELECT_MULTIPLE:
        options = [(c["name"], v.values) for c, v in zip(question.choices, variables, strict=True)]

        def many(text):
            if text is None:
                for _name, out in options:
                    out.append(-1)
                return
            chosen = set(_selected(text))
            for name, out in options:
                out.append(1 if name in chosen else 0)

        return many
    out = variables[0].values
    if kind in NUMBER_KINDS:
        return lambda text: out.append(math.nan if text is None else _number(text))
    if kind == Question.Type.DATE:
        return lambda text: out.append(math.nan if text is None else _date_number(text))
    return lambda text: out.append(text or None)


def _seconds(at: datetime) -> float:
    local = timezone.localtime(at)
    return float((local.toordinal() - _EPOCH_ORDINAL) * 86_400 + local.hour * 3600) + (
        local.minute * 60 + local.second
    )


def _read(responses, questions, per_question, variables, *, chunk: int, advance) -> int:
    """Every response into the variables' arrays, chunk by chunk from a server-side
    cursor; returns how many. The fillers die with this call, so afterwards only the
    variables hold the arrays."""
    meta = variables[:5]
    ids, ats, districts, types, bands = (v.values for v in meta)
    fillers = [_filler(q, vs) for q, vs in zip(questions, per_question, strict=True)]
    asked = {f"q{i}": KT(f"answers__{q.name}") for i, q in enumerate(questions)}
    values = (
        responses.order_by("id")
        .annotate(**asked)
        .values_list("id", "submitted_at", "district_code", "site_type", "size_band", *asked)
    )
    count = since = 0
    for row in values.iterator(chunk_size=chunk):
        ids.append(float(row[0]))
        ats.append(_seconds(row[1]))
        districts.append(row[2] or None)
        types.append(row[3] or None)
        bands.append(row[4] or None)
        for fill, cell in zip(fillers, row[5:], strict=True):
            fill(None if cell is None else str(cell))
        count += 1
        since += 1
        if since >= chunk:
            for variable in variables:
                variable.seal_chunk()
            if advance:
                advance(since)
            since = 0
    if advance and since:
        advance(since)
    return count


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
    import polars as pl
    import pyreadstat

    questions = [q for q in questions if q.type != Question.Type.NOTE]
    taken: set[str] = set()
    meta = _meta_variables(taken)
    per_question = [_question_variables(q, taken) for q in questions]
    variables = meta + [v for group in per_question for v in group]
    for variable in variables:
        variable.start()
    count = _read(responses, questions, per_question, variables, chunk=chunk, advance=advance)
    frame = pl.DataFrame([variable.column() for variable in variables])
    formats = {v.name: "DATE11" for v in variables if v.kind == "date"}
    formats.update({v.name: "DATETIME20" for v in variables if v.kind == "datetime"})
    formats.update({v.name: "F1.0" for v in variables if v.kind == "flag"})
    formats.update({v.name: "F4.0" for v in variables if v.kind == "code"})
    formats[meta[0].name] = "F12.0"
    measure = {v.name: "nominal" for v in variables if v.kind in ("code", "flag", "text")}
    measure.update({v.name: "scale" for v in variables if v.kind in ("number",)})
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=file_label[:64],
        column_labels=[v.label[:255] for v in variables],
        variable_value_labels={v.name: v.value_labels for v in variables if v.value_labels},
        variable_format=formats,
        variable_measure=measure,
        compress=False,
        row_compress=True,
    )
    return count
