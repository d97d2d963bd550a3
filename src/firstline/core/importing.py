"""Reading workbooks that staff fill in: the one place for templates, header
matching, cell text and the rejection that names every problem.

Every import in Firstline follows one rule: all rows or none. An importer reads
its sheets with `read_sheet`, checks every row collecting `RowError`s, and raises
`ImportRejected` with all of them before anything is written, so staff can fix
the file and upload it again. The apps' importers (estates: residents, members,
rooms, staff; health: declarations) describe their sheets as `SheetSpec`s and
share the template writer, so every template looks and reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from firstline.core import exporting

ERRORS_LISTED = 200
MAX_COLUMNS = 256
HELP_SHEET_NAME = "填写说明"
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
NO = frozenset({"否", "", "n", "no", "false", "0", "×"})


@dataclass(frozen=True)
class Column:
    """One column of a template: its Chinese header, the field it fills, a hint."""

    header: str
    field: str
    hint: str
    width: int = 10
    text: bool = False  # formatted as text in the template so Excel keeps every digit
    choices: tuple[str, ...] = ()  # a drop-down in the template
    required: bool = True  # the header must be present (the cell may still be blank)


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of a template: its name, columns and a note per column."""

    name: str
    columns: tuple[Column, ...]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def header_of(self) -> dict[str, str]:
        return {c.field: c.header for c in self.columns}


# --- errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the sheet, the row as Excel numbers it, the column header, what."""

    row: int
    field: str
    message: str
    sheet: str = ""

    def as_dict(self) -> dict:
        named = {"sheet": self.sheet} if self.sheet else {}
        return {**named, "row": self.row, "field": self.field, "message": self.message}


class ImportRejected(Exception):
    """The file was not imported; `errors` say where and why (may be empty when the
    file as a whole could not be read). `column_order` sorts a row's errors the way
    its columns run."""

    def __init__(
        self,
        message: str,
        errors: list[RowError] | None = None,
        column_order: dict[str, int] | None = None,
    ):
        super().__init__(message)
        self.message = message
        order = column_order or {}
        self.errors = sorted(
            errors or [], key=lambda e: (e.sheet, e.row, order.get(e.field, 99), e.field)
        )

    def as_result(self) -> dict:
        """What the progress record keeps: the first errors and how many in all."""
        return {
            "message": self.message,
            "errors": [e.as_dict() for e in self.errors[:ERRORS_LISTED]],
            "error_count": len(self.errors),
        }


def rejected(errors: list[RowError], specs: Sequence[SheetSpec] = ()) -> ImportRejected:
    """The usual rejection of a file with problems in its rows."""
    order = {c.header: i for spec in specs for i, c in enumerate(spec.columns)}
    return ImportRejected(
        _("文件中有 %(n)d 处错误，未导入任何数据。请修改后重新上传。") % {"n": len(errors)},
        errors,
        order,
    )


# --- cells --------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as the text staff typed: 301.0 → "301", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def yes_no(text: str) -> bool | None:
    """是/否 and their usual spellings; None for anything else."""
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def header_name(value) -> str:
    """'身份证号', '身份证号 (ID number)' and '身份证号\nID' all name the same column;
    a leading '*' (the mark of a required column) is ignored."""
    return re.split(r"[\s(（/]", cell_text(value).lstrip("*＊"), maxsplit=1)[0]


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- reading ------------------------------------------------------------------------


def xlsx_rows(
    path: Path | str, sheet_name: str, *, first_if_missing: bool = True
) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {0-based column: value}) for each row of the sheet called
    `sheet_name` (or of the first sheet, if allowed): openpyxl's streaming mode.
    Yields nothing when the sheet is missing and the first may not stand in."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet_name in book.sheetnames:
            sheet = book[sheet_name]
        elif first_if_missing:
            sheet = book.worksheets[0]
        else:
            return
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, {i: v for i, v in enumerate(row[:MAX_COLUMNS]) if v is not None}
    finally:
        book.close()


def sheet_names(path: Path | str) -> list[str]:
    """The workbook's sheet names; ImportRejected when it is not a readable .xlsx."""
    try:
        book = load_workbook(path, read_only=True)
    except Exception as exc:  # zip, XML and layout errors all mean the same to staff
        raise ImportRejected(_("无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。")) from exc
    try:
        return list(book.sheetnames)
    finally:
        book.close()


Rows = list[tuple[int, dict[str, object]]]  # (row number as Excel shows it, raw cells by field)


def read_sheet(
    path: Path | str,
    spec: SheetSpec,
    *,
    max_rows: int,
    first_if_missing: bool = True,
    named: bool = False,
) -> Rows:
    """The data rows of one sheet; rejects an unreadable file, a wrong header or too
    many rows. Columns are found by header (order does not matter, extra columns
    are ignored; an optional column missing reads as blank). Empty rows are skipped.
    An empty list means the sheet has a header and no rows, or is not there.
    `named`: the workbook has several sheets, so messages say which one."""
    rows: Rows = []
    wanted: list[tuple[str, int | None]] | None = None
    try:
        with closing(xlsx_rows(path, spec.name, first_if_missing=first_if_missing)) as sheet:
            for number, values in sheet:
                if wanted is None:
                    wanted = _columns(spec, number, values, named)
                    continue
                if not any(cell_text(v) for v in values.values()):
                    continue
                if len(rows) == max_rows:
                    raise ImportRejected(
                        _("一次最多导入 %(n)s 行，请拆分文件。") % {"n": f"{max_rows:,}"}
                    )
                rows.append((number, {f: None if i is None else values.get(i) for f, i in wanted}))
    except ImportRejected:
        raise
    except Exception as exc:  # zip, XML and layout errors all mean the same to staff
        raise ImportRejected(_("无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。")) from exc
    if wanted is None and first_if_missing:
        _columns(spec, 1, {}, named)  # not a single row: every column is missing
    return rows


def _columns(spec: SheetSpec, number: int, header: dict[int, object], named: bool):
    """(field, column or None) for every template column, from the first row."""
    if number != 1:
        header = {}
    positions: dict[str, int] = {}
    for index in sorted(header):
        positions.setdefault(header_name(header[index]), index)
    missing = [c.header for c in spec.columns if c.required and c.header not in positions]
    if missing:
        message = _("表头不符合导入模板，缺少列：%(cols)s。") % {"cols": "、".join(missing)}
        sheet = spec.name if named else ""
        raise ImportRejected(
            f"“{sheet}”{message}" if named else message,
            [RowError(1, h, _("缺少此列，请使用导入模板"), sheet) for h in missing],
        )
    return [(c.field, positions.get(c.header)) for c in spec.columns]


# --- the template -------------------------------------------------------------------


def template_workbook(
    specs: Sequence[SheetSpec], *, max_rows: int, closing_notes: Sequence[str] = ()
) -> bytes:
    """The .xlsx staff fill in: one sheet per spec with Chinese headers (English hints
    in comments), text format on digit columns, drop-downs, and a help sheet."""
    wb = exporting.workbook()
    wb.remove(wb.active)
    fill = PatternFill("solid", fgColor="DDEBF7")
    limit = max_rows + 1
    for spec in specs:
        ws = wb.create_sheet(spec.name)
        header = exporting.xlsx_append(ws, [c.header for c in spec.columns], bold=True)
        for index, (cell, column) in enumerate(zip(header, spec.columns, strict=True), start=1):
            cell.fill = fill
            cell.comment = Comment(column.hint, "Firstline")
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = column.width + 4
            if column.text:
                ws.column_dimensions[letter].number_format = "@"
            if column.choices:
                listed = DataValidation(
                    type="list", formula1=f'"{",".join(column.choices)}"', allow_blank=True
                )
                listed.add(f"{letter}2:{letter}{limit}")
                ws.add_data_validation(listed)
        ws.freeze_panes = "A2"

    help_ws = wb.create_sheet(HELP_SHEET_NAME)
    exporting.xlsx_append(help_ws, [_("工作表"), _("列"), _("说明"), "English"], bold=True)
    for spec in specs:
        for column in spec.columns:
            exporting.xlsx_append(
                help_ws,
                [spec.name, column.header, spec.notes.get(column.field, ""), column.hint],
            )
    exporting.xlsx_append(help_ws, [])
    for note in (
        *closing_notes,
        _("同一文件中有任何一行有误时，整个文件都不会导入；请按错误清单修改后重新上传。"),
    ):
        exporting.xlsx_append(help_ws, [note])
    for letter, width in zip("ABCD", (10, 14, 60, 40), strict=True):
        help_ws.column_dimensions[letter].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
