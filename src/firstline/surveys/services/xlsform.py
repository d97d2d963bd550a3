"""XLSForm in and out. A workbook is read by pyxform (the reader ODK and KoBoToolbox
use), so its rules (names, choice lists, groups that close) are pyxform's; then
every row is checked against the subset Firstline answers, and each feature outside
it is named with its row. Nothing is saved unless the whole form is supported.

Supported: select_one, select_multiple, integer, decimal (a unit goes in the
label), text, date, note, calculate (an expression of the evaluator's subset),
rating — a `range` row (`parameters` start=1 end=5 step=1: whole numbers, 2 to 11
points; ODK's `rating` appearance draws it as stars) or a `select_one` with the
`likert` or `rating` appearance (its own list, shown as one row of points) —,
begin_group/end_group (a top-level group is a section, one page on the phone;
groups inside it are flattened, their `relevant` joined to each question's), a
matrix — a group with the `table-list` appearance whose rows are single choices of
one list, shown as one table (a row per question, a column per choice) —, a region
picker — `select_one fl_district`, `fl_street` or `fl_community`: reserved list
names whose choices are the divisions of that level under the association's own
division (all of them when it has none), taken from the geo tree when the form is
read; rows given for them on the choices sheet are ignored —, file and image
(an upload, its type and size checked: services/uploads.py),
required, relevant, constraint (+ constraint_message), hint, labels per language
(the Chinese one is the label, the English one beside it). ODK's metadata rows
(start, end, today, deviceid …) record nothing here and are skipped.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from firstline.core import exporting
from firstline.surveys.services import expressions

QUESTION_TYPES = {
    "select_one": "select_one",
    "select one": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "string": "text",
    "date": "date",
    "note": "note",
    "calculate": "calculate",
    "range": "rating",
    "file": "file",
    "image": "image",
    "photo": "image",  # pyxform's own name of an image row
}
RATING_APPEARANCES = {"likert", "rating"}
# A region picker's reserved list names and the division level each picks.
REGION_LISTS = {"fl_district": 3, "fl_street": 4, "fl_community": 5}
REGION_MAX = 2_000  # choices in one picker (a phone's select)
GENERATED = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")
RATING_POINTS = (2, 11)
GROUP_OPEN = {"begin_group", "begin group"}
GROUP_CLOSE = {"end_group", "end group"}
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "simserial",
    "subscriberid",
    "phonenumber",
    "audit",
    "email",
}
COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "appearance",  # a display hint: likert/rating make a rating, others are ignored
    "parameters",  # range only (start, end, step)
}
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ParsedForm:
    title: str
    title_en: str
    form_id: str
    questions: list[dict] = field(default_factory=list)


def _column(key: str) -> str:
    return key.split("::", 1)[0].strip().lower()


def _lang(key: str) -> str:
    """'zh', 'en' or '' (the default) for a label's language name."""
    low = key.lower()
    if "zh" in low or "chinese" in low or "中文" in low:
        return "zh"
    if low == "en" or "english" in low or "(en)" in low or "英文" in low:
        return "en"
    return ""


def _labels(value) -> tuple[str, str]:
    """(Chinese, English) from pyxform's label: text, or a dict by language."""
    if not value:
        return "", ""
    if isinstance(value, str):
        return value, ""
    by = {_lang(k): v for k, v in value.items()}
    zh = by.get("zh") or by.get("") or next(iter(value.values()), "")
    return zh, by.get("en", "")


def _yes(value) -> bool:
    return str(value or "").strip().lower() in ("yes", "true", "true()", "1", "是")


def _type_base(raw: str) -> tuple[str, str]:
    """(base type, list name) of a type cell: 'select_one yn' → ('select_one', 'yn')."""
    text = " ".join(str(raw).split())
    for prefix in ("select all that apply", "select one", "select_one", "select_multiple"):
        if text.startswith(prefix + " "):
            return prefix, text[len(prefix) + 1 :].strip()
    return text, ""


def _check_rows(rows: list[dict]) -> list[str]:
    """Every unsupported feature of the survey sheet, named by its row."""
    errors: list[str] = []
    groups: list[dict] = []  # the open groups: a matrix knows its list
    for index, row in enumerate(rows):
        number = index + 2  # row 1 holds the column names
        if not row:
            continue
        raw = str(row.get("type", "")).strip()
        base, list_name = _type_base(raw)
        low = base.lower()
        matrix = groups[-1] if groups and groups[-1]["matrix"] else None
        if low in GROUP_OPEN:
            if matrix is not None:
                errors.append(
                    _("第 %(row)d 行：矩阵（table-list）中不能再分组。") % {"row": number}
                )
            groups.append({"matrix": _is_matrix(row.get("appearance")), "list": None})
            continue
        if low in GROUP_CLOSE:
            if groups:
                groups.pop()
            continue
        if matrix is not None and low not in METADATA:
            if low not in ("select_one", "select one") or (matrix["list"] not in (None, list_name)):
                errors.append(
                    _("第 %(row)d 行：矩阵（table-list 分组）中只能是同一选项列表的单选题。")
                    % {"row": number}
                )
            matrix["list"] = matrix["list"] or list_name
        if low in ("begin_repeat", "begin repeat", "end_repeat", "end repeat"):
            errors.append(_("第 %(row)d 行：不支持重复组（repeat）。") % {"row": number})
        elif low in METADATA:
            continue
        elif low not in QUESTION_TYPES:
            errors.append(_("第 %(row)d 行：不支持题型“%(type)s”。") % {"row": number, "type": raw})
        elif " or_other" in f" {list_name}":
            errors.append(_("第 %(row)d 行：不支持“or_other”选项。") % {"row": number})
        elif list_name in REGION_LISTS and low not in ("select_one", "select one"):
            errors.append(
                _("第 %(row)d 行：区划选择（%(list)s）只能是单选（select_one）。")
                % {"row": number, "list": list_name}
            )
        if row.get("parameters") and low != "range":
            errors.append(
                _("第 %(row)d 行：“parameters”列只支持 range（评分）题。") % {"row": number}
            )
        if low == "range":
            errors.extend(_check_range(row.get("parameters"), number))
        for key, value in row.items():
            if value in (None, "") or _column(key) in COLUMNS:
                continue
            errors.append(
                _("第 %(row)d 行：不支持“%(column)s”列。") % {"row": number, "column": key}
            )
    known = {str(row["name"]) for row in rows if row.get("name")}
    for index, row in enumerate(rows):
        for key in ("relevant", "constraint", "calculation"):
            text = str(row.get(key) or "")
            if text:
                errors.extend(_check_expression(text, key, index + 2, known))
    return errors


def _is_matrix(appearance) -> bool:
    return "table-list" in str(appearance or "").lower().split()


def _no_regions(used: set[str]) -> dict:
    return {}


def _range_points(parameters) -> list[int] | None:
    """The points of a range row's parameters ('start=1 end=5 step=1'), or None."""
    if isinstance(parameters, dict):
        found = {k.strip().lower(): str(v).strip() for k, v in parameters.items()}
    else:
        found = {}
        for part in str(parameters or "").replace(";", " ").replace(",", " ").split():
            key, _sep, value = part.partition("=")
            found[key.strip().lower()] = value.strip()
    try:
        start = int(found.get("start", "1"))
        end = int(found.get("end", "10"))
        step = int(found.get("step", "1"))
    except ValueError:
        return None
    if step <= 0 or end <= start:
        return None
    points = list(range(start, end + 1, step))
    low, high = RATING_POINTS
    return points if low <= len(points) <= high and points[-1] == end else None


def _check_range(parameters, number: int) -> list[str]:
    if _range_points(parameters) is None:
        return [
            _(
                "第 %(row)d 行：评分题（range）的 parameters 应为整数 start、end、step，"
                "共 %(low)d 到 %(high)d 个分值，例如 start=1 end=5 step=1。"
            )
            % {"row": number, "low": RATING_POINTS[0], "high": RATING_POINTS[1]}
        ]
    return []


def _check_expression(text: str, column: str, number: int, known: set[str]) -> list[str]:
    try:
        tree = expressions.parse(text)
    except expressions.ExpressionError as exc:
        return [
            _("第 %(row)d 行：%(column)s 表达式不受支持：%(why)s")
            % {"row": number, "column": column, "why": exc}
        ]
    unknown = expressions.references(tree) - known
    if unknown:
        return [
            _("第 %(row)d 行：%(column)s 引用了不存在的题目 %(names)s。")
            % {"row": number, "column": column, "names": ", ".join(sorted(unknown))}
        ]
    return []


def _and(*parts: str) -> str:
    parts = tuple(p for p in parts if p)
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return " and ".join(f"({p})" for p in parts)


def _walk(children, rows_by_name, out, section=None, inherited="", matrix=None, regions=None):
    for child in children:
        kind = child.get("type", "")
        name = child.get("name", "")
        bind = child.get("bind", {}) or {}
        if kind == "group":
            if name == "meta":
                continue
            zh, en = _labels(child.get("label"))
            relevant = bind.get("relevant", "")
            here = {"name": name, "label": zh or name, "label_en": en, "relevant": relevant}
            # pyxform writes a table-list out as a field-list with a generated title
            # note and a header row of the list's labels: a matrix, those rows dropped.
            children = child.get("children", []) or []
            generated = [c for c in children if str(c.get("name", "")).startswith(GENERATED)]
            table = (
                here
                if generated or _is_matrix((child.get("control") or {}).get("appearance"))
                else None
            )
            children = [c for c in children if c not in generated]
            for note in generated:  # the group's title went to the generated note
                if note.get("type") == "note" and note.get("label") and not child.get("label"):
                    zh, en = _labels(note.get("label"))
                    here.update(label=zh or name, label_en=en)
            if section is None:
                _walk(children, rows_by_name, out, here, "", table, regions)
            else:
                _walk(
                    children,
                    rows_by_name,
                    out,
                    section,
                    _and(inherited, relevant),
                    table,
                    regions,
                )
            continue
        qtype = QUESTION_TYPES.get(kind)
        if qtype is None:  # a metadata row (start, end …): records nothing here
            continue
        appearance = str((child.get("control") or {}).get("appearance") or "").strip().lower()
        if qtype == "select_one" and appearance in RATING_APPEARANCES:
            qtype = "rating"
        zh, en = _labels(child.get("label"))
        hint, _hint_en = _labels(child.get("hint"))
        message, _message_en = _labels(bind.get("jr:constraintMsg"))
        choices = []
        for choice in child.get("choices", []) or []:
            czh, cen = _labels(choice.get("label"))
            choices.append(
                {"name": str(choice["name"]), "label": czh or str(choice["name"]), "label_en": cen}
            )
        list_name = child.get("list_name", "") or child.get("itemset", "") or ""
        if list_name in REGION_LISTS and regions is not None:  # the divisions themselves
            qtype = "region"
            choices = regions.get(list_name, [])
        if kind == "range":  # a rating of whole points: each point a choice
            points = _range_points(child.get("parameters")) or []
            choices = [{"name": str(p), "label": str(p), "label_en": ""} for p in points]
        out.append(
            {
                "row": rows_by_name.get(name, 0),
                "name": name,
                "type": qtype,
                "label": zh,
                "label_en": en,
                "hint": hint,
                "required": _yes(bind.get("required")),
                "choices": choices,
                "list_name": child.get("list_name", "") or "",
                "relevant": _and(inherited, bind.get("relevant", "")),
                "constraint": bind.get("constraint", "") or "",
                "constraint_message": message,
                "calculation": bind.get("calculate", "") or "",
                "section": section["name"] if section else "",
                "section_label": section["label"] if section else "",
                "section_label_en": section["label_en"] if section else "",
                "section_relevant": section["relevant"] if section else "",
                "matrix": matrix["name"] if matrix else "",
                "matrix_label": matrix["label"] if matrix else "",
                "matrix_label_en": matrix["label_en"] if matrix else "",
            }
        )


def _region_lists(rows: list[dict]) -> set[str]:
    return {
        list_name
        for row in rows
        for _base, list_name in [_type_base(str(row.get("type", "")))]
        if list_name in REGION_LISTS
    }


def _with_region_choices(book, used: set[str]) -> None:
    """A placeholder choice for each reserved list the form uses (pyxform wants its
    lists on the choices sheet); the divisions replace it after."""
    rows = [r for r in (book.choices or []) if r.get("list_name") not in REGION_LISTS]
    label_keys = [k for k in (rows[0] if rows else {}) if _column(k) == "label"] or ["label"]
    for list_name in sorted(used):
        rows.append({"list_name": list_name, "name": "_", **dict.fromkeys(label_keys, "_")})
    book.choices = rows


def parse(
    data: bytes, *, filename: str = "form.xlsx", regions: Callable[[set[str]], dict] | None = None
) -> ParsedForm:
    """The form's questions; a ValidationError listing every problem (by row) else.
    `regions(list names)` gives a region picker's choices by reserved list name."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("文件过大（上限 5 MB）。"))
    try:
        book = get_xlsform(io.BytesIO(data), file_type=".xlsx")
    except (PyXFormError, Exception) as exc:
        raise ValidationError(_("无法读取该 XLSForm 工作簿：%(why)s") % {"why": exc}) from None
    rows = list(book.survey or [])
    errors = _check_rows(rows)
    used = _region_lists(rows)
    found = (regions or _no_regions)(used) if used else {}
    for list_name in sorted(used):
        count = len(found.get(list_name, []))
        if not count or count > REGION_MAX:
            errors.append(
                _("区划选择 %(list)s：所在地区下有 %(n)d 个可选区划（应为 1 到 %(max)d 个）。")
                % {"list": list_name, "n": count, "max": REGION_MAX}
            )
    if errors:
        raise ValidationError(errors)
    if used:
        _with_region_choices(book, used)
    try:
        form = workbook_to_json(
            workbook_dict=book, form_name=filename.rsplit(".", 1)[0] or "form", warnings=[]
        )
    except PyXFormError as exc:
        raise ValidationError(_("XLSForm 有误：%(why)s") % {"why": exc}) from None
    rows_by_name = {
        str(row.get("name")): index + 2 for index, row in enumerate(rows) if row.get("name")
    }
    questions: list[dict] = []
    _walk(form.get("children", []), rows_by_name, questions, regions=found)
    errors = []
    if not [q for q in questions if q["type"] not in ("note", "calculate")]:
        errors.append(_("问卷没有任何题目。"))
    if errors:
        raise ValidationError(errors)
    settings = (book.settings or [{}])[0] if book.settings else {}
    title_zh, title_en = "", ""
    for key, value in settings.items():
        if _column(key) == "form_title":
            if _lang(key.split("::", 1)[-1]) == "en" and "::" in key:
                title_en = value
            else:
                title_zh = value
    title = title_zh or form.get("title") or filename.rsplit(".", 1)[0]
    return ParsedForm(
        title=str(title)[:200],
        title_en=str(title_en)[:200],
        form_id=str(form.get("id_string") or "")[:64],
        questions=questions,
    )


SURVEY_HEADER = (
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "hint::中文 (zh)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::中文 (zh)",
    "calculation",
    "appearance",
    "parameters",
)
CHOICES_HEADER = ("list_name", "name", "label::中文 (zh)", "label::English (en)")


def write(survey, questions, out) -> None:
    """The survey as an XLSForm workbook (survey, choices, settings) into `out`."""
    book = exporting.workbook()
    sheet = book.active
    sheet.title = "survey"
    exporting.xlsx_append(sheet, SURVEY_HEADER, bold=True)
    choice_sheet = book.create_sheet("choices")
    exporting.xlsx_append(choice_sheet, CHOICES_HEADER, bold=True)
    lists_done: set[str] = set()
    section = matrix = ""
    for q in questions:
        if q.matrix != matrix or q.section != section:
            if matrix and matrix != section:  # a matrix inside a section closes first
                exporting.xlsx_append(sheet, ["end_group", matrix])
            matrix = ""
        if q.section != section:
            if section:
                exporting.xlsx_append(sheet, ["end_group", section])
            if q.section:
                whole = q.matrix == q.section  # the section is itself a matrix
                exporting.xlsx_append(
                    sheet,
                    [
                        "begin_group",
                        q.section,
                        q.section_label,
                        q.section_label_en,
                        "",
                        "",
                        q.section_relevant,
                        *(["", "", "", "table-list"] if whole else []),
                    ],
                )
                matrix = q.section if whole else ""
            section = q.section
        if q.matrix and q.matrix != matrix:
            exporting.xlsx_append(
                sheet,
                [
                    "begin_group",
                    q.matrix,
                    q.matrix_label,
                    q.matrix_label_en,
                    *[""] * 6,
                    "table-list",
                ],
            )
            matrix = q.matrix
        kind = q.type
        appearance = parameters = ""
        relevant = q.relevant
        if q.section_relevant and relevant.startswith(f"({q.section_relevant}) and "):
            relevant = relevant  # kept whole: the group's condition holds for it anyway
        if q.type == "rating" and not q.list_name:  # a range: its points again
            points = [int(c["name"]) for c in q.choices]
            step = points[1] - points[0] if len(points) > 1 else 1
            kind, appearance = "range", "rating"
            parameters = f"start={points[0]} end={points[-1]} step={step}"
        elif q.is_choice:
            list_name = q.list_name or q.name
            kind = f"{q.type} {list_name}"
            if q.type == "rating":
                kind, appearance = f"select_one {list_name}", "likert"
            elif q.type == "region":
                kind = f"select_one {list_name}"
            if list_name not in lists_done and list_name not in REGION_LISTS:
                lists_done.add(list_name)
                for choice in q.choices:
                    exporting.xlsx_append(
                        choice_sheet,
                        [
                            list_name,
                            choice["name"],
                            choice.get("label", ""),
                            choice.get("label_en", ""),
                        ],
                    )
        exporting.xlsx_append(
            sheet,
            [
                kind,
                q.name,
                q.label,
                q.label_en,
                q.hint,
                "yes" if q.required else "",
                relevant,
                q.constraint,
                q.constraint_message,
                q.calculation,
                appearance,
                parameters,
            ],
        )
    if matrix and matrix != section:
        exporting.xlsx_append(sheet, ["end_group", matrix])
    if section:
        exporting.xlsx_append(sheet, ["end_group", section])
    settings_sheet = book.create_sheet("settings")
    exporting.xlsx_append(settings_sheet, ["form_title", "form_id", "version"], bold=True)
    exporting.xlsx_append(
        settings_sheet, [survey.title, survey.form_id or f"survey_{survey.pk}", str(survey.version)]
    )
    book.save(out)
