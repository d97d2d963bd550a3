"""The item catalogue: the ten kinds of protective supplies the association moves,
with the unit a site counts in, how many come in one carton, and the national
standard the goods must meet (the batch's quality documents are checked against it).

Shared reference data, like divisions: `catalogue_install()` writes it, idempotently
(by code), and `manage install_items` runs it. A standard left blank means no single
mandatory product standard applies to that kind (sprayers and thermometers are
bought to the supplier's own specification and registration)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction

from firstline.supplies.models import Item


@dataclass(frozen=True)
class Kind:
    code: str
    kind: str
    name: str
    name_en: str
    unit: str
    pack_size: int
    standard: str


CATALOGUE: tuple[Kind, ...] = (
    Kind(
        "PPE-SUIT",
        Item.Kind.SUIT,
        "医用一次性防护服",
        "Disposable medical protective coverall",
        "件",
        10,
        "GB 19082-2009",
    ),
    Kind(
        "PPE-N95",
        Item.Kind.N95,
        "医用防护口罩（N95）",
        "Medical protective mask (N95)",
        "只",
        20,
        "GB 19083-2010",
    ),
    Kind(
        "PPE-MASK",
        Item.Kind.SURGICAL_MASK,
        "医用外科口罩",
        "Surgical mask",
        "只",
        50,
        "YY 0469-2011",
    ),
    Kind(
        "DIS-84",
        Item.Kind.DISINFECTANT,
        "84消毒液（500 mL）",
        "Chlorine disinfectant 84 (500 mL)",
        "瓶",
        24,
        "GB/T 36758-2018",
    ),
    Kind(
        "DIS-ALC75",
        Item.Kind.ALCOHOL,
        "75%医用酒精（500 mL）",
        "75% medical alcohol (500 mL)",
        "瓶",
        24,
        "GB/T 26373-2020",
    ),
    # Examination gloves: GB 7543 is the standard for *sterile surgical* gloves; the
    # disposable latex gloves staff wear for gate checks and cleaning are examination
    # gloves, whose standard is GB 10213.
    Kind(
        "PPE-GLOVE",
        Item.Kind.GLOVES,
        "一次性乳胶检查手套",
        "Disposable latex examination gloves",
        "副",
        100,
        "GB 10213-2006",
    ),
    Kind("EQP-SPRAY", Item.Kind.SPRAYER, "消毒喷雾器", "Disinfection sprayer", "台", 1, ""),
    Kind(
        "DIS-HAND",
        Item.Kind.SANITISER,
        "免洗洗手液（500 mL）",
        "Waterless hand sanitiser (500 mL)",
        "瓶",
        24,
        "GB 27950-2020",
    ),
    Kind(
        "PPE-GOGGLE",
        Item.Kind.GOGGLES,
        "护目镜",
        "Protective goggles",
        "副",
        20,
        "GB 14866-2006",
    ),
    Kind(
        "EQP-THERMO",
        Item.Kind.THERMOMETER,
        "红外测温枪",
        "Infrared forehead thermometer",
        "台",
        10,
        "",
    ),
)

BY_KIND = {k.kind: k for k in CATALOGUE}


def catalogue_install() -> list[Item]:
    """Create or update the ten items by code; run it any number of times."""
    items = []
    with transaction.atomic():
        for entry in CATALOGUE:
            fields = asdict(entry)
            code = fields.pop("code")
            item, _created = Item.objects.update_or_create(code=code, defaults=fields)
            items.append(item)
    return items
