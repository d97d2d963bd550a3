"""Chinese first, English beside it: the language switch reaches the pages, and the
English catalogue (locale/en/LC_MESSAGES) is complete and compiled."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
SUBMIT_BUTTON = re.compile(
    r'<button type="submit" class="btn btn-primary w-100">(.*?)</button>', re.S
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- a small .po reader (no gettext: it must see what the file says, fuzzy flags included) ---


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], text[1:-1])


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (a dict of index to text,
    index 0 for a singular entry), flags and whether it is obsolete (#~)."""
    entries: list[dict] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry = {
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": {},
            "flags": set(),
            "obsolete": False,
        }
        key = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#") or not line:
                continue
            elif match := re.match(
                r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line
            ):
                name, index, value = match.groups()
                if name.startswith("msgstr"):
                    key = ("msgstr", int(index or 0))
                    entry["msgstr"][key[1]] = _unquote(value)
                else:
                    key = (name, None)
                    entry[name] = _unquote(value)
            elif line.startswith('"') and key is not None:
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += _unquote(line)
                else:
                    entry[key[0]] += _unquote(line)
            else:
                raise AssertionError(f"unreadable line in {path.name}: {line!r}")
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[dict]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l en"
    entries = read_po(PO_PATH)
    assert entries and entries[0]["msgid"] == "", "the .po file has no header"
    return entries


def messages(entries: list[dict]) -> list[dict]:
    return [e for e in entries[1:] if not e["obsolete"]]


# --- pages ----------------------------------------------------------------------------


def submit_label(html: str) -> str:
    match = SUBMIT_BUTTON.search(html)
    assert match, "the sign-in form has no submit button"
    return match.group(1).strip()


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert submit_label(html) == "登录"
    assert "用户名" in html and "密码" in html


def test_login_page_in_english_from_accept_language(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert submit_label(html) == "Sign in"
    assert "<title>Sign in · " in html
    assert "Username" in html and "Password" in html
    assert "登录" not in html
    assert "用户名" not in html


def test_language_cookie_chooses_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("login")).content.decode()

    assert submit_label(html) == "Sign in"


def test_language_switch_sets_english_then_back_to_chinese(client):
    login = reverse("login")

    response = client.post(reverse("set_language"), {"language": "en", "next": login})

    assert response.status_code == 302
    assert response.headers["Location"] == login
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(login).content.decode()
    assert submit_label(html) == "Sign in"
    assert "Change language" in html  # the switch itself is translated

    client.post(reverse("set_language"), {"language": "zh-hans", "next": login})
    assert submit_label(client.get(login).content.decode()) == "登录"


def test_wrong_password_error_is_translated(client):
    response = client.post(
        reverse("login"),
        {"username": "nobody", "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert "Incorrect username or password." in html
    assert "用户名或密码不正确" not in html


def test_code_strings_translate_through_the_catalogue():
    from firstline.access.models import Decision, Direction
    from firstline.core.roles import Role

    with translation.override("en"):
        assert [str(d.label) for d in Decision] == ["ADMIT", "DENY", "REFER"]
        assert [str(d.label) for d in Direction] == ["In", "Out"]
        assert str(Role.GUARD.label) == "Gate guard"
        assert str(Role.RESIDENT.label) == "Resident"
        assert (
            translation.ngettext("%(counter)s 位成员", "%(counter)s 位成员", 1)
            == "%(counter)s member"
        )
        assert (
            translation.ngettext("%(counter)s 位成员", "%(counter)s 位成员", 3)
            == "%(counter)s members"
        )
    with translation.override("zh-hans"):
        assert str(Decision.ADMIT.label) == "放行"


# --- the catalogue ----------------------------------------------------------------------


def test_po_header_is_english_with_two_plural_forms(po_entries):
    header = po_entries[0]
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]


def test_every_message_is_translated_and_not_fuzzy(po_entries):
    entries = messages(po_entries)
    assert len(entries) > 500  # the whole site, not a stub

    untranslated = [
        e["msgid"]
        for e in entries
        if not e["msgstr"]
        or not all(e["msgstr"].values())
        or (e["msgid_plural"] is not None and sorted(e["msgstr"]) != [0, 1])
    ]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_placeholders(po_entries):
    wrong = []
    for e in messages(po_entries):
        if e["msgid_plural"] is None:
            if sorted(PLACEHOLDER.findall(e["msgstr"][0])) != sorted(
                PLACEHOLDER.findall(e["msgid"])
            ):
                wrong.append(e["msgid"])
        else:
            allowed = set(PLACEHOLDER.findall(e["msgid"])) | set(
                PLACEHOLDER.findall(e["msgid_plural"])
            )
            if any(set(PLACEHOLDER.findall(text)) - allowed for text in e["msgstr"].values()):
                wrong.append(e["msgid"])
    assert wrong == []


def test_translations_are_english(po_entries):
    """No Chinese left in an English string, except where a value must stay Chinese:
    the relation and yes/no words of the import template, sample plates and room names."""
    allowed = re.compile(r"业主|租户|家属|是|否|鄂|栋|第一防线")
    chinese = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    leftovers = [
        text
        for e in messages(po_entries)
        for text in e["msgstr"].values()
        if chinese.search(allowed.sub("", text))
    ]
    assert leftovers == []


def test_mo_file_is_compiled_from_the_current_po(po_entries):
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages -l en"
    with MO_PATH.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)

    def compiled(e: dict) -> dict[int, str]:
        context, msgid, plural = e["msgctxt"], e["msgid"], e["msgid_plural"]
        if plural is None:
            text = (
                catalogue.pgettext(context, msgid)
                if context is not None
                else catalogue.gettext(msgid)
            )
            return {0: text}
        if context is not None:
            return {i: catalogue.npgettext(context, msgid, plural, n) for i, n in ((0, 1), (1, 2))}
        return {i: catalogue.ngettext(msgid, plural, n) for i, n in ((0, 1), (1, 2))}

    stale = [e["msgid"] for e in messages(po_entries) if compiled(e) != e["msgstr"]]
    assert stale == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_figures_are_grouped_in_thousands_in_both_languages(language):
    """Django's zh_Hans formats have no thousands separator; ours (firstline/formats)
    print figures as Chinese statistics do."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template import Context, Template

    with translation.override(language):
        assert intcomma(1234567) == "1,234,567"
        assert intcomma(999) == "999"
        page = Template("{% load humanize %}{{ n|intcomma }}").render(Context({"n": 52000}))
        assert page == "52,000"


@pytest.mark.parametrize(("language", "blank"), [("zh-hans", "请选择"), ("en", "Select…")])
def test_the_blank_choice_of_a_select_speaks_the_page_language(language, blank):
    """Django 6.1's "- Select an option -" has no Chinese; ours replaces it."""
    from django import forms

    from firstline.estates.models import Site

    class Form(forms.Form):
        site = forms.ModelChoiceField(queryset=Site.all_tenants.none())

    with translation.override(language):
        assert f'<option value="" selected>{blank}</option>' in str(Form()["site"])
