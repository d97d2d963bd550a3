"""Sites (物业项目) and what is inside them: buildings, households, residents, staff."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction, SiteModel, TenantModel
from firstline.core.personal.fields import personal_columns


class Site(TenantModel):
    """A property-management project: a compound, building, park, campus, hospital …"""

    class Type(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅小区")
        OFFICE = "office", _("写字楼")
        INDUSTRIAL = "industrial", _("产业园区")
        CAMPUS = "campus", _("学校")
        HOSPITAL = "hospital", _("医院")
        COMMERCIAL = "commercial", _("商业综合体")
        TRANSPORT = "transport", _("交通枢纽")
        ISOLATION = "isolation", _("隔离点")

    name = models.CharField(_("项目名称"), max_length=128)
    name_initials = models.CharField(
        _("拼音首字母"), max_length=64, blank=True, db_index=True, editable=False
    )
    site_type = models.CharField(
        _("项目类型"), max_length=16, choices=Type.choices, default=Type.RESIDENTIAL
    )
    community = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属社区")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    manager_phone = models.CharField(_("项目电话"), max_length=20, blank=True)

    scope_paths = {"company": "company_id", "site": "id"}

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"],
                name="estates_site_company_name_uniq",
                violation_error_message=_("本企业已有同名项目。"),
            ),
            models.UniqueConstraint(fields=["company", "id"], name="estates_site_company_id_uniq"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("estates:site_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class Building(SiteModel):
    """A building (楼栋) of a site."""

    name = models.CharField(_("楼栋"), max_length=64)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["site_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "name"],
                name="estates_building_company_site_name_uniq",
                violation_error_message=_("该项目已有同名楼栋。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="estates_building_company_id_uniq"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("estates:building_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class Household(SiteModel):
    """A household: one room (户) in a unit (单元) of a building."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="households", verbose_name=_("楼栋")
    )
    unit = models.CharField(_("单元"), max_length=16, blank=True)
    room = models.CharField(_("房号"), max_length=16)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "id"}

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["building_id", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "building", "unit", "room"],
                name="estates_household_company_room_uniq",
                violation_error_message=_("该楼栋已有此房号。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="estates_household_company_id_uniq"
            ),
        ]

    @property
    def label(self) -> str:
        """1栋2单元301: what staff and residents call a room."""
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building.name}{unit}{self.room}"

    def get_absolute_url(self) -> str:
        return reverse("estates:household_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.label


class Resident(SiteModel):
    """A person living in a household. Phone and ID number are sealed (core.crypto)."""

    class Relation(models.TextChoices):
        OWNER = "owner", _("业主")
        TENANT = "tenant", _("租户")
        FAMILY = "family", _("家属")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="residents", verbose_name=_("住户")
    )
    name = models.CharField(_("姓名"), max_length=64)
    name_initials = models.CharField(
        _("拼音首字母"), max_length=16, blank=True, db_index=True, editable=False
    )
    locals().update(personal_columns("phone", _("手机号")))
    locals().update(personal_columns("id_number", _("身份证号")))
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    relation = models.CharField(
        _("关系"), max_length=16, choices=Relation.choices, default=Relation.OWNER
    )
    lives_alone_elderly = models.BooleanField(_("独居老人"), default=False)
    disabled = models.BooleanField(_("残障"), default=False)
    chronic_illness = models.BooleanField(_("慢性病"), default=False)
    pregnant = models.BooleanField(_("孕妇"), default=False)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household_id", "id"]
        indexes = [
            models.Index(
                fields=["company", "site", "phone_last4"], name="estates_resident_phone4_idx"
            ),
            models.Index(fields=["company", "id_number_hmac"], name="estates_resident_idhmac_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "id"], name="estates_resident_company_id_uniq"
            )
        ]

    VULNERABILITY_FIELDS = ("lives_alone_elderly", "disabled", "chronic_illness", "pregnant")

    def get_absolute_url(self) -> str:
        return reverse("estates:resident_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    @property
    def vulnerabilities(self) -> list[str]:
        return [
            str(self._meta.get_field(f).verbose_name)
            for f in self.VULNERABILITY_FIELDS
            if getattr(self, f)
        ]


class Staff(SiteModel):
    """A member of a company's staff working at a site, optionally with a login."""

    class Position(models.TextChoices):
        MANAGER = "manager", _("项目经理")
        GUARD = "guard", _("门岗")
        CLEANER = "cleaner", _("保洁员")
        HEALTH = "health", _("防疫专员")
        MAINTENANCE = "maintenance", _("工程维修")
        SERVICE = "service", _("客服")

    user = models.ForeignKey(
        "orgs.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    name_initials = models.CharField(
        _("拼音首字母"), max_length=16, blank=True, db_index=True, editable=False
    )
    locals().update(personal_columns("phone", _("手机号")))
    position = models.CharField(_("岗位"), max_length=16, choices=Position.choices)
    on_duty = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["site_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="estates_staff_company_id_uniq")
        ]

    def get_absolute_url(self) -> str:
        return reverse("estates:staff_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class AuditAction(BaseAuditAction):
    """What the estates app's services record in the audit trail."""

    SITE_CREATE = "estates.site_create", _("新建项目")
    SITE_UPDATE = "estates.site_update", _("修改项目")
    BUILDING_CREATE = "estates.building_create", _("新建楼栋")
    BUILDING_UPDATE = "estates.building_update", _("修改楼栋")
    HOUSEHOLD_CREATE = "estates.household_create", _("新建住户")
    HOUSEHOLD_UPDATE = "estates.household_update", _("修改住户")
    RESIDENT_CREATE = "estates.resident_create", _("新建居民")
    RESIDENT_UPDATE = "estates.resident_update", _("修改居民")
    STAFF_CREATE = "estates.staff_create", _("新建工作人员")
    STAFF_UPDATE = "estates.staff_update", _("修改工作人员")
    RESIDENTS_IMPORT = "estates.residents_import", _("导入居民")
    RESIDENTS_EXPORT = "estates.residents_export", _("导出居民")
    MEMBERS_IMPORT = "estates.members_import", _("导入会员企业和项目")
    ROOMS_IMPORT = "estates.rooms_import", _("导入楼栋和房号")
    STAFF_IMPORT = "estates.staff_import", _("导入工作人员")
