"""Writes of the geo app: importing administrative divisions.

Divisions are reference data loaded from CSV files (``code,name,name_en,level,parent_code``),
so the import is an upsert by code: re-running a file changes nothing, and a corrected file
updates names in place without breaking the foreign keys that point at a division.

The whole file is validated before anything is written, and written in one transaction:
a half-loaded tree (streets without their communities, or with the wrong parent) would
silently hide sites from the authority viewers whose scope is a division.

The shipped file ``data/hubei_wuhan.csv`` holds Hubei, Wuhan, and the 15 districts that
Wuhan's 2020 epidemic reports counted: the 13 administrative districts plus two
functional zones, 武汉经济技术开发区 and 东湖新技术开发区. The functional zones have no
county-level code of their own (their streets are coded under 蔡甸区, 洪山区 and 江夏区:
沌口/军山/沌阳 are 420114070-072; 关东/花山/左岭/九峰 are 420111080-083;
佛祖岭/豹澥/龙泉/滨湖 are 420115086-089). Because a division's descendants must be exactly
the codes that start with its code, the file gives them the unused codes 420151 and 420152
and renumbers their streets under those codes (001, 002, ...). Other street codes are the
national ones; the community codes are numbered 001, 002, ... under their street and, like
some community names, are illustrative rather than official.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from firstline.geo.models import Division

SHIPPED_CSV = Path(__file__).resolve().parent / "data" / "hubei_wuhan.csv"

FIELDS = ("code", "name", "name_en", "level", "parent_code")
LEVELS = tuple(int(level) for level in Division.Level)
CODE_LENGTHS = {int(level): length for level, length in Division.CODE_LENGTHS.items()}
NAME_MAX = Division._meta.get_field("name").max_length
NAME_EN_MAX = Division._meta.get_field("name_en").max_length
# Stay under SQLite's bound-parameter limit on old builds and keep statements small.
BATCH = 500
# Enough to fix a file in one pass without drowning the reader.
MAX_ERRORS = 50

ROW_ERROR = _("第 %(row)s 行，字段 %(field)s：%(problem)s")


@dataclass
class ImportResult:
    """Counts per level (1..5), so an operator can see what a file did to each layer."""

    created: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    updated: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    unchanged: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def total_unchanged(self) -> int:
        return sum(self.unchanged.values())

    def merge(self, other: "ImportResult") -> None:
        """Add another file's counts, for commands that load several files."""
        for mine, theirs in (
            (self.created, other.created),
            (self.updated, other.updated),
            (self.unchanged, other.unchanged),
        ):
            for level, count in theirs.items():
                mine[level] = mine.get(level, 0) + count


@dataclass(frozen=True)
class _Row:
    number: int
    code: str
    name: str
    name_en: str
    level: int
    parent_code: str


def _interpolate(message, params) -> str:
    return str(message) % params


# Formats when rendered, so a message built here is still shown in the reader's language.
_interpolate_lazy = lazy(_interpolate, str)


def _row_error(number: int, field_name: str, problem) -> ValidationError:
    return ValidationError(
        ROW_ERROR,
        code="invalid_row",
        params={"row": number, "field": field_name, "problem": problem},
    )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _existing(codes: Iterable[str]) -> dict[str, Division]:
    """Divisions already stored for these codes: one query per BATCH codes, not per row."""
    found: dict[str, Division] = {}
    for chunk in _chunks(sorted(set(codes))):
        for division in Division.objects.filter(code__in=chunk):
            found[division.code] = division
    return found


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def _parse(number: int, raw: dict, errors: list[ValidationError]) -> _Row | None:
    """Check one row on its own (format, lengths); relations are checked by the caller."""
    before = len(errors)
    values = {name: _clean(raw.get(name)) for name in FIELDS}
    code, name, name_en = values["code"], values["name"], values["name_en"]
    parent_code = values["parent_code"]

    level = int(values["level"]) if values["level"].isdigit() else None
    if level not in CODE_LENGTHS:
        errors.append(_row_error(number, "level", _("级别必须是 1 到 5 的整数。")))
        level = None

    if not code.isdigit() or not code.isascii():
        errors.append(_row_error(number, "code", _("区划代码只能由数字组成。")))
    elif level is not None and len(code) != CODE_LENGTHS[level]:
        errors.append(
            _row_error(
                number,
                "code",
                _interpolate_lazy(
                    _("第 %(level)s 级区划代码应为 %(length)s 位，实际 %(actual)s 位。"),
                    {"level": level, "length": CODE_LENGTHS[level], "actual": len(code)},
                ),
            )
        )

    if not name:
        errors.append(_row_error(number, "name", _("名称不能为空。")))
    elif len(name) > NAME_MAX:
        errors.append(_row_error(number, "name", _("名称过长。")))
    if len(name_en) > NAME_EN_MAX:
        errors.append(_row_error(number, "name_en", _("英文名称过长。")))

    if level == Division.Level.PROVINCE:
        if parent_code:
            errors.append(_row_error(number, "parent_code", _("省级区划不能有上级。")))
    elif level is not None:
        if not parent_code:
            errors.append(_row_error(number, "parent_code", _("上级区划代码不能为空。")))
        elif (
            not parent_code.isdigit()
            or len(parent_code) != CODE_LENGTHS[level - 1]
            or not code.startswith(parent_code)
        ):
            errors.append(
                _row_error(
                    number,
                    "parent_code",
                    _("上级区划代码必须是本代码的前缀，且为上一级的代码。"),
                )
            )

    if len(errors) > before:
        return None
    return _Row(number, code, name, name_en, level, parent_code)


def _validate(
    rows: Iterable[dict], first_row_number: int
) -> tuple[list[_Row], dict[str, Division]]:
    """Parse and check every row; return them with the stored divisions they touch."""
    errors: list[ValidationError] = []
    parsed: list[_Row] = []
    seen: dict[str, _Row] = {}
    for number, raw in enumerate(rows, start=first_row_number):
        row = _parse(number, raw, errors)
        if row is None:
            continue
        if row.code in seen:
            errors.append(
                _row_error(
                    number,
                    "code",
                    _interpolate_lazy(
                        _("区划代码与第 %(other)s 行重复。"), {"other": seen[row.code].number}
                    ),
                )
            )
            continue
        seen[row.code] = row
        parsed.append(row)
        if len(errors) >= MAX_ERRORS:
            break

    stored = _existing([r.code for r in parsed] + [r.parent_code for r in parsed if r.parent_code])
    earlier: set[str] = set()
    for row in parsed:
        if row.parent_code and row.parent_code not in earlier:
            parent = stored.get(row.parent_code)
            if parent is None:
                errors.append(
                    _row_error(
                        row.number,
                        "parent_code",
                        _interpolate_lazy(
                            _("上级区划 %(parent)s 不存在（须已在库中，或在文件中更早出现）。"),
                            {"parent": row.parent_code},
                        ),
                    )
                )
            elif parent.level != row.level - 1:
                errors.append(
                    _row_error(row.number, "parent_code", _("上级区划的级别不是上一级。"))
                )
        earlier.add(row.code)

    if errors:
        errors.sort(key=lambda e: e.params["row"])
        raise ValidationError(errors[:MAX_ERRORS])
    return parsed, stored


def divisions_import(*, rows: Iterable[dict], first_row_number: int = 1) -> ImportResult:
    """Upsert divisions by code in one transaction; any bad row aborts the whole import.

    ``rows`` are dicts with the CSV columns. Rows are numbered from ``first_row_number``
    in error messages (the CSV reader passes 2, so numbers are file line numbers).
    Parents are resolved level by level, so each level is one bulk_create and one
    bulk_update whatever the file's size.
    """
    parsed, stored = _validate(rows, first_row_number)
    result = ImportResult()
    pk_by_code = {code: division.pk for code, division in stored.items()}
    by_level: dict[int, list[_Row]] = {level: [] for level in LEVELS}
    for row in parsed:
        by_level[row.level].append(row)

    with transaction.atomic():
        for level in LEVELS:
            to_create: list[Division] = []
            to_update: list[Division] = []
            for row in by_level[level]:
                parent_id = pk_by_code[row.parent_code] if row.parent_code else None
                division = stored.get(row.code)
                if division is None:
                    to_create.append(
                        Division(
                            code=row.code,
                            name=row.name,
                            name_en=row.name_en,
                            level=row.level,
                            parent_id=parent_id,
                        )
                    )
                    continue
                wanted = (row.name, row.name_en, row.level, parent_id)
                current = (division.name, division.name_en, division.level, division.parent_id)
                if wanted == current:
                    result.unchanged[level] += 1
                    continue
                division.name, division.name_en, division.level, division.parent_id = wanted
                to_update.append(division)

            created = Division.objects.bulk_create(to_create, batch_size=BATCH)
            if any(division.pk is None for division in created):
                # Backends that cannot return ids from a bulk insert: fetch them once.
                for division in _existing([d.code for d in created]).values():
                    pk_by_code[division.code] = division.pk
            else:
                pk_by_code.update({division.code: division.pk for division in created})
            Division.objects.bulk_update(
                to_update, ["name", "name_en", "level", "parent"], batch_size=BATCH
            )
            result.created[level] += len(created)
            result.updated[level] += len(to_update)
    return result


def divisions_import_csv(*, path: str | Path) -> ImportResult:
    """Import a UTF-8 CSV (a BOM from spreadsheet exports is tolerated)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in ("code", "name", "level", "parent_code") if name not in header]
        if missing:
            raise ValidationError(
                _("CSV 表头缺少列：%(columns)s。"),
                code="missing_columns",
                params={"columns": ", ".join(missing)},
            )
        rows = list(reader)
    return divisions_import(rows=rows, first_row_number=2)
