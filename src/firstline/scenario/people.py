"""Fictional people for the scenario: Chinese names, mobile numbers and national ID
numbers that are well-formed (valid region prefix, birth date and check digit) but
belong to nobody.

Everything is drawn from one `random.Random`, so a seed gives the same people on
every run. Numbers are unique within one `PeopleFactory`, i.e. within one world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pypinyin

from firstline.core.personal.identity import id_check_char

# Surnames with rough frequencies per 1,000 people (national census order), so a
# crowd of residents looks like a real one: many 王, 李, 张, a few 欧阳.
# fmt: off
SURNAMES: dict[str, float] = {
    "王": 71, "李": 70, "张": 67, "刘": 54, "陈": 45, "杨": 31, "黄": 25, "赵": 23, "吴": 20,
    "周": 19, "徐": 15, "孙": 15, "马": 14, "朱": 13, "胡": 16, "郭": 12, "何": 11, "林": 11,
    "高": 11, "罗": 10, "郑": 9, "梁": 9, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 6, "邓": 6,
    "冯": 6, "曹": 6, "彭": 6, "曾": 6, "肖": 6, "田": 5, "董": 5, "潘": 5, "袁": 5, "蔡": 5,
    "蒋": 5, "余": 7, "于": 5, "杜": 5, "叶": 4, "程": 5, "魏": 4, "苏": 4, "吕": 4, "丁": 4,
    "任": 4, "卢": 4, "姚": 4, "沈": 4, "钟": 4, "姜": 4, "崔": 3, "谭": 3, "陆": 3, "范": 3,
    "汪": 4, "廖": 3, "石": 3, "金": 3, "贾": 3, "夏": 3, "付": 3, "方": 3, "邹": 3, "熊": 5,
    "白": 3, "孟": 3, "秦": 2, "邱": 2, "侯": 2, "江": 2, "尹": 2, "薛": 2, "闫": 2, "段": 2,
    "雷": 3, "龙": 2, "黎": 2, "史": 2, "陶": 2, "贺": 2, "毛": 2, "郝": 2, "顾": 2, "龚": 2,
    "邵": 2, "万": 3, "覃": 1, "武": 2, "钱": 2, "戴": 2, "严": 2, "欧阳": 0.5, "上官": 0.2,
    "司马": 0.2, "诸葛": 0.1,
}
# fmt: on

# Given-name characters by sex and by the generation the person was born in: a woman
# born in 1950 is 秀英 or 桂兰 far more often than 梓涵.
GIVEN_CHARS: dict[tuple[str, str], str] = {
    ("m", "old"): "国建华明德志文平军伟庆和福生荣忠林海春永贵宝成金山富昌家",
    ("m", "mid"): "伟强磊军勇杰涛明超刚辉鹏华飞波斌健俊峰亮兵东涛毅林斌锋勇龙",
    ("m", "young"): "浩宇轩子睿泽航一诚嘉然铭昊天思远奕辰博文皓俊凯逸阳宸瑞晨杰",
    ("f", "old"): "秀英桂兰凤玉珍芳梅翠华淑琴素云兰英珍霞菊娥荣美春娟花莲",
    ("f", "mid"): "芳娜敏静丽艳娟霞燕玲红丹萍洁琳雪婷颖倩慧莉琴云梅晶佳蓉",
    ("f", "young"): "欣悦雨涵梓诗怡琪萱可馨思语晴子彤妍瑶婉一依若雅晨宁佳琳",
}

# Region codes (first six ID digits) people here are born in: Wuhan's districts
# mostly, then the rest of Hubei, weighted by how often each turns up.
# fmt: off
BIRTH_REGIONS: dict[str, float] = {
    "420102": 9, "420103": 7, "420104": 6, "420105": 6, "420106": 9, "420107": 4, "420111": 9,
    "420112": 4, "420113": 1, "420114": 3, "420115": 5, "420116": 5, "420117": 4, "420101": 3,
    "420202": 1, "420302": 1, "420502": 1, "420602": 1.5, "420702": 0.5, "420802": 1, "420902": 2,
    "421002": 2, "421102": 2, "421202": 1, "421302": 1, "422801": 1,
}
# fmt: on

# Mobile prefixes in use (China Mobile, Unicom, Telecom and virtual operators).
# fmt: off
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "171", "173", "175",
    "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
)
# fmt: on

# Suffix n -> (n * STRIDE + offset) mod 10^8 is a bijection (STRIDE is coprime to
# 10^8), so the i-th number issued never repeats and consecutive ones look unrelated.
PHONE_SPACE = 10**8
PHONE_STRIDE = 61_803_399


@dataclass(frozen=True, slots=True)
class Person:
    """One fictional person. `sex` is "m" or "f" and matches the ID's 17th digit."""

    name: str
    initials: str
    sex: str
    birth_year: int
    id_number: str
    phone: str


def generation(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    return "mid" if birth_year < 1990 else "young"


class PeopleFactory:
    """Issues fictional people from one random stream; no number is issued twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._surnames = list(SURNAMES)
        self._surname_cum = _cumulative(SURNAMES.values())
        self._regions = list(BIRTH_REGIONS)
        self._region_cum = _cumulative(BIRTH_REGIONS.values())
        self._ids: set[int] = set()
        self._phones_issued = 0
        self._phone_offset = rng.randrange(PHONE_SPACE)
        # lazy_pinyin costs ~35 µs a call; surnames and given names repeat a lot.
        self._initials: dict[str, str] = {}

    def person(self, *, birth_year: int, sex: str | None = None) -> Person:
        sex = sex or self.rng.choice("mf")
        surname, given = self.name_parts(sex=sex, birth_year=birth_year)
        return Person(
            name=surname + given,
            initials=self.initials(surname, given),
            sex=sex,
            birth_year=birth_year,
            id_number=self.id_number(sex=sex, birth_year=birth_year),
            phone=self.phone(),
        )

    def name(self, *, sex: str, birth_year: int) -> str:
        surname, given = self.name_parts(sex=sex, birth_year=birth_year)
        return surname + given

    def name_parts(self, *, sex: str, birth_year: int) -> tuple[str, str]:
        rng = self.rng
        surname = rng.choices(self._surnames, cum_weights=self._surname_cum)[0]
        chars = GIVEN_CHARS[(sex, generation(birth_year))]
        given = rng.choice(chars) if rng.random() < 0.3 else rng.choice(chars) + rng.choice(chars)
        return surname, given

    def initials(self, *parts: str) -> str:
        """Initials of a name given in parts. For the surnames and characters above,
        lazy_pinyin of the whole name equals the joined initials of its parts (checked
        for every combination), and the parts repeat, so they are cached."""
        return "".join(self._part_initials(part) for part in parts)

    def _part_initials(self, part: str) -> str:
        found = self._initials.get(part)
        if found is None:
            found = name_initials(part)
            self._initials[part] = found
        return found

    def phone(self) -> str:
        """A well-formed mobile number (1[3-9]x + 8 digits), unique in this world."""
        suffix = (self._phones_issued * PHONE_STRIDE + self._phone_offset) % PHONE_SPACE
        self._phones_issued += 1
        if self._phones_issued > PHONE_SPACE:
            raise OverflowError("phone number space exhausted")
        return f"{self.rng.choice(MOBILE_PREFIXES)}{suffix:08d}"

    def id_number(self, *, sex: str, birth_year: int) -> str:
        """18 characters: birth region, birth date in `birth_year`, sequence whose
        last digit is odd for men and even for women, check character."""
        rng = self.rng
        start = date(birth_year, 1, 1)
        days = (date(birth_year + 1, 1, 1) - start).days
        while True:
            region = rng.choices(self._regions, cum_weights=self._region_cum)[0]
            born = start + timedelta(days=rng.randrange(days))
            seq = rng.randrange(100) * 10 + rng.randrange(5) * 2 + (1 if sex == "m" else 0)
            first17 = f"{region}{born:%Y%m%d}{seq:03d}"
            key = int(first17)
            if key not in self._ids:
                self._ids.add(key)
                return first17 + id_check_char(first17)


def name_initials(name: str) -> str:
    """拼音首字母 as the search box expects them: 张伟 -> "zw"."""
    return "".join(
        pypinyin.lazy_pinyin(name, style=pypinyin.Style.FIRST_LETTER, errors="ignore")
    ).lower()


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out
