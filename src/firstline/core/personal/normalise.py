"""One written form per identifier, applied before anything else looks at it.

People write the same ID number as `４２０１０３…１２３Ｘ` (a Chinese input method's
full-width digits), `…123x`, `420103 19800101 123X` or `4201-0319-…`; a phone as
`+86 138-1234-5678` or `0086 13812345678`. Validation, the keyed HMAC that exact
search and the duplicate checks compare, the ciphertext and the masked form must
all see one form, or the same person is two people. So every entry point (forms,
imports, the API, declarations, the one-time-code phone, search boxes) calls the
function for its kind here first, and `crypto.seal`/`lookup_digest` call it again,
so nothing sealed or looked up can skip it.

Each function only rewrites how a value is written, never what it says: a value
that is not an identifier comes back tidied but still wrong, and the validator
then names the field.
"""

from __future__ import annotations

import re
import unicodedata

# Spaces and the separators people put between groups of digits: hyphens and dashes
# of every width (NFKC has already folded the full-width ones), dots, middle dots,
# underscores, slashes, brackets around an area code.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.·•・/\\()（）\[\]]")


def _fold(value: str | None) -> str:
    """NFKC (full-width letters and digits → ASCII, the ideographic space → a space)
    without the invisible format characters a copy from a web page or Excel brings
    (zero-width space, byte-order mark, direction marks)."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _compact(value: str | None) -> str:
    return _SEPARATORS.sub("", _fold(value))


def normalise_id_number(value: str | None) -> str:
    """４２０１０３ １９８００１０１ １２３ｘ → 42010319800101123X: ASCII, no separators,
    the check character X in upper case."""
    return _compact(value).upper()


def normalise_phone(value: str | None) -> str:
    """+86 138-1234-5678, 0086 13812345678, （138）１２３４ ５６７８ → 13812345678.
    The country code goes only when an 11-digit mainland number follows it."""
    v = _compact(value)
    for prefix in ("+86", "0086", "86"):
        rest = v[len(prefix) :]
        if v.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return v


def normalise_digits(value: str | None) -> str:
    """A fragment of a number, such as the last four of a phone: ASCII, no separators."""
    return _compact(value)


def normalise_credit_code(value: str | None) -> str:
    """９１４２ ０１００-ma４k… → 91420100MA4K…: ASCII, no separators, upper case."""
    return _compact(value).upper()


def normalise_plate(value: str | None) -> str:
    """湘ａ·１２３４５ → 湘A12345: the form plate cameras report."""
    return _compact(value).upper()


# The sealed kinds (core.personal.fields), by the name their columns carry.
NORMALISERS = {"id_number": normalise_id_number, "phone": normalise_phone}


def normalise(kind: str, value: str | None) -> str:
    """The written form of a sealed kind's value; a kind without a rule is kept as is."""
    rule = NORMALISERS.get(kind)
    return rule(value) if rule else (value or "")
