"""The file writers every export shares: CSV in UTF-8 with a byte-order mark (so Excel
opens the Chinese text correctly), streamed line by line or written to a file, and
XLSX through openpyxl's write-only mode (rows go straight to disk, memory stays flat).

Each app decides its own columns, rows, masking and audit; this module only turns
rows into bytes, so the encoding and layout rules live in one place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@")


class Strong(list):
    """A row written in bold in a workbook (titles, headers, totals); a plain list in CSV."""


class _Line:
    """A file-like object whose write returns what was written: csv.writer then
    yields one line at a time instead of holding the file."""

    def write(self, value: str) -> str:
        return value


def formula_safe(value: str) -> str:
    """Free text for a cell: one that starts like a formula would run as one in a
    spreadsheet, so it is quoted."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _texts(row: Sequence) -> list:
    # Lazy translations and other objects become their text; numbers stay numbers.
    return [
        value if value is None or isinstance(value, int | float) else str(value) for value in row
    ]


def csv_stream(header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV as an iterator of encoded lines, the first one carrying the BOM."""
    writer = csv.writer(_Line())
    yield (BOM + writer.writerow(_texts(header))).encode()
    for row in rows:
        yield writer.writerow(_texts(row)).encode()


def csv_write(header: Sequence, rows: Iterable[Sequence], out) -> None:
    """The CSV into a binary file, which is left open (the response sends it)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(_texts(header))
    for row in rows:
        writer.writerow(_texts(row))
    text.flush()
    text.detach()  # keep the binary file open for the response


def xlsx_write(
    rows: Iterable[Sequence],
    out,
    *,
    sheet: str,
    header: Sequence = (),
    widths: Sequence[int] = (),
    preamble: Iterable[Sequence] = (),
) -> None:
    """A one-sheet workbook into `out`: `preamble` rows (e.g. a title) and the header
    in bold, then the rows; a `Strong` row is bold too (e.g. a total)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for row in preamble:
        ws.append(_bold(ws, row))
    if header:
        ws.append(_bold(ws, header))
    for row in rows:
        ws.append(_bold(ws, row) if isinstance(row, Strong) else _texts(row))
    wb.save(out)


def _bold(ws, row: Sequence) -> list:
    cells = []
    for value in _texts(row):
        cell = WriteOnlyCell(ws, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells
