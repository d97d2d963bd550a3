"""Administrative divisions: province → city → district → street → community.

A shared lookup: it holds no foreign key to tenant rows. Codes are the national
statistical codes at their natural length (2, 4, 6, 9, 12 digits), so a
division's descendants are exactly the codes that start with its code.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """One administrative division, with its national code."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        DISTRICT = 3, _("区")
        STREET = 4, _("街道")
        COMMUNITY = 5, _("社区")

    CODE_LENGTHS = {
        Level.PROVINCE: 2,
        Level.CITY: 4,
        Level.DISTRICT: 6,
        Level.STREET: 9,
        Level.COMMUNITY: 12,
    }

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5),
                name="geo_division_level_valid",
                violation_error_message=_("级别必须在 1 到 5 之间。"),
            )
        ]

    def __str__(self) -> str:
        return self.name
