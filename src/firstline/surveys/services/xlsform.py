"""XLSForm in and out. A workbook is read by pyxform (the reader ODK and KoBoToolbox
use), so its rules (names, choice lists, groups that close) are pyxform's; then
every row is checked against the subset Firstline answers, and each feature outside
it is named with its row. Nothing is saved unless the whole form is supported.

Supported: select_one, select_multiple, integer, decimal (a unit goes in the
label), text, date, note, calculate (an expression of the evaluator's subset),
begin_group/end_group (a top-level group is a section, one page on the phone;
groups inside it are flattened, their `relevant` joined to each question's),
required, relevant, constraint (+ constraint_message), hint, labels per language
(the Chinese one is the label, the English one beside it). ODK's metadata rows
(start, end, today, deviceid …) record nothing here and are skipped.
"""

from __future__ import annotations

import io
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
}
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
    "appearance",  # a display hint: ignored, the phone page shows each type one way
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
    depth = 0
    for index, row in enumerate(rows):
        number = index + 2  # row 1 holds the column names
        if not row:
            continue
        raw = str(row.get("type", "")).strip()
        base, list_name = _type_base(raw)
        low = base.lower()
        if low in GROUP_OPEN:
            depth += 1
        elif low in GROUP_CLOSE:
            depth -= 1
        elif low in ("begin_repeat", "begin repeat", "end_repeat", "end repeat"):
            errors.append(_("第 %(row)d 行：不支持重复组（repeat）。") % {"row": number})
        elif low in METADATA:
            continue
        elif low not in QUESTION_TYPES:
            errors.append(_("第 %(row)d 行：不支持题型“%(type)s”。") % {"row": number, "type": raw})
        elif " or_other" in f" {list_name}":
            errors.append(_("第 %(row)d 行：不支持“or_other”选项。") % {"row": number})
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


def _walk(children, rows_by_name, out, section=None, inherited=""):
    for child in children:
        kind = child.get("type", "")
        name = child.get("name", "")
        bind = child.get("bind", {}) or {}
        if kind == "group":
            if name == "meta":
                continue
            zh, en = _labels(child.get("label"))
            relevant = bind.get("relevant", "")
            if section is None:
                here = {"name": name, "label": zh or name, "label_en": en, "relevant": relevant}
                _walk(child.get("children", []), rows_by_name, out, here, "")
            else:
                _walk(
                    child.get("children", []), rows_by_name, out, section, _and(inherited, relevant)
                )
            continue
        qtype = QUESTION_TYPES.get(kind)
        if qtype is None:  # a metadata row (start, end …): records nothing here
            continue
        zh, en = _labels(child.get("label"))
        hint, _hint_en = _labels(child.get("hint"))
        message, _message_en = _labels(bind.get("jr:constraintMsg"))
        choices = []
        for choice in child.get("choices", []) or []:
            czh, cen = _labels(choice.get("label"))
            choices.append(
                {"name": str(choice["name"]), "label": czh or str(choice["name"]), "label_en": cen}
            )
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
            }
        )


def parse(data: bytes, *, filename: str = "form.xlsx") -> ParsedForm:
    """The form's questions; a ValidationError listing every problem (by row) else."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("文件过大（上限 5 MB）。"))
    try:
        book = get_xlsform(io.BytesIO(data), file_type=".xlsx")
    except (PyXFormError, Exception) as exc:
        raise ValidationError(_("无法读取该 XLSForm 工作簿：%(why)s") % {"why": exc}) from None
    rows = list(book.survey or [])
    errors = _check_rows(rows)
    if errors:
        raise ValidationError(errors)
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
    _walk(form.get("children", []), rows_by_name, questions)
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
    section = ""
    for q in questions:
        if q.section != section:
            if section:
                exporting.xlsx_append(sheet, ["end_group", section])
            if q.section:
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
                    ],
                )
            section = q.section
        kind = q.type
        relevant = q.relevant
        if q.section_relevant and relevant.startswith(f"({q.section_relevant}) and "):
            relevant = relevant  # kept whole: the group's condition holds for it anyway
        if q.is_choice:
            list_name = q.list_name or q.name
            kind = f"{q.type} {list_name}"
            if list_name not in lists_done:
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
            ],
        )
    if section:
        exporting.xlsx_append(sheet, ["end_group", section])
    settings_sheet = book.create_sheet("settings")
    exporting.xlsx_append(settings_sheet, ["form_title", "form_id", "version"], bold=True)
    exporting.xlsx_append(
        settings_sheet, [survey.title, survey.form_id or f"survey_{survey.pk}", str(survey.version)]
    )
    book.save(out)
