"""Bulk onboarding by Excel: what each import is, for the pages, the API and the task.

An association in an emergency registers hundreds of member companies and
thousands of sites at once; each company then registers its sites' buildings,
rooms and staff. Every import here keeps the resident import's rules
(core.importing): a template to download, every row checked first, all rows or
none, each problem named by sheet, row and column, run as a task with progress.

`IMPORTERS` lists them by slug; each says who may run it and over what target:
the association (members) or one site (rooms, staff, residents).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from firstline.estates.services import importing
from firstline.estates.services.onboarding import buildings, members, staff


@dataclass(frozen=True)
class Outcome:
    """A finished import: what it did, in words and in numbers."""

    message: str
    counts: dict


@dataclass(frozen=True)
class Importer:
    slug: str
    title: Promise
    intro: Promise
    permission: str
    target: str  # "association" or "site"
    template: Callable[[], bytes]
    template_name: Promise
    run: Callable[..., Outcome]
    options: tuple[str, ...] = ()  # keyword options the form may pass to `run`

    @property
    def kind(self) -> str:
        """The TaskProgress kind: estates.import_<slug>."""
        return f"estates.import_{self.slug}"


def _residents(*, actor, target, path: Path, file_name: str, add_rooms=False, **progress):
    count = importing.residents_import(
        actor=actor, site=target, path=path, file_name=file_name, add_rooms=add_rooms, **progress
    )
    return Outcome(str(_("已导入 %(n)d 名居民")) % {"n": count}, {"residents": count})


def _members(**kwargs) -> Outcome:
    counts = members.members_import(**_renamed(kwargs, "association"))
    return Outcome(
        str(_("已登记 %(c)d 家企业、%(s)d 个项目"))
        % {"c": counts["companies"], "s": counts["sites"]},
        counts,
    )


def _rooms(**kwargs) -> Outcome:
    counts = buildings.rooms_import(**_renamed(kwargs, "site"))
    return Outcome(
        str(_("已新建 %(b)d 个楼栋、%(h)d 个住户（%(k)d 个房号已登记，未重复添加）"))
        % {"b": counts["buildings"], "h": counts["households"], "k": counts["existing"]},
        counts,
    )


def _staff(**kwargs) -> Outcome:
    count = staff.staff_import(**_renamed(kwargs, "site"))
    return Outcome(str(_("已导入 %(n)d 名工作人员")) % {"n": count}, {"staff": count})


def _renamed(kwargs: dict, target_name: str) -> dict:
    kwargs = dict(kwargs)
    kwargs[target_name] = kwargs.pop("target")
    return kwargs


IMPORTERS: dict[str, Importer] = {
    importer.slug: importer
    for importer in (
        Importer(
            slug="members",
            title=_("导入会员企业和项目"),
            intro=_(
                "一个文件两张表：“企业”登记会员企业（统一社会信用代码校验位、注册地区划），"
                "“项目”登记各企业的项目（所属社区、项目类型）；项目所属企业可以是本文件中的，"
                "也可以是已登记的会员。只要有一行有误，整个文件都不导入。"
            ),
            permission=members.PERMISSION,
            target="association",
            template=members.template_workbook,
            template_name=_("会员企业和项目导入模板.xlsx"),
            run=_members,
        ),
        Importer(
            slug="rooms",
            title=_("导入楼栋和房号"),
            intro=_(
                "登记一个项目的楼栋、单元和房号。已登记的房号会跳过（不重复添加），"
                "同一文件中重复的房号和无法识别的内容会列出，整个文件不导入。"
            ),
            permission=buildings.PERMISSION,
            target="site",
            template=buildings.template_workbook,
            template_name=_("楼栋房号导入模板.xlsx"),
            run=_rooms,
        ),
        Importer(
            slug="staff",
            title=_("导入工作人员"),
            intro=_(
                "登记一个项目的工作人员：姓名、手机号、岗位、是否在岗。手机号在本项目已登记的"
                "或在文件中重复的会列出，整个文件不导入。"
            ),
            permission=staff.PERMISSION,
            target="site",
            template=staff.template_workbook,
            template_name=_("工作人员导入模板.xlsx"),
            run=_staff,
        ),
        Importer(
            slug="residents",
            title=_("导入居民"),
            intro=_(
                "请使用导入模板填写。每一行都会先检查（身份证号校验位、手机号格式、房号是否已登记、"
                "身份证号是否重复），只要有一行有误，整个文件都不导入，并列出出错的行和字段。"
            ),
            permission="estates.import_resident",
            target="site",
            template=importing.template_workbook,
            template_name=_("居民导入模板.xlsx"),
            run=_residents,
            options=("add_rooms",),
        ),
    )
}
