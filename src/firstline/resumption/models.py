"""Back to work in office and commercial buildings (写字楼、商业综合体复工).

A building is an estates Site of type office or commercial. A tenant company leases a
unit, an estates Household of that site (building, floor as the unit, room), and
`Tenant` is one-to-one with it. The tenant's admin is a TENANT_ADMIN grant over that
household, so it reaches only its own rows. Its returning staff are Residents of the
household: they declare health as residents do, hold a resident pass, and the gate
decides on them unchanged (office mode: working hours, headcount per floor).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction, SiteModel
from firstline.core.personal.fields import personal_columns
from firstline.core.scope import Through

BUILDING_TYPES = ("office", "commercial")


class Tenant(SiteModel):
    """A company leasing a unit of an office or commercial building."""

    household = models.OneToOneField(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("单元")
    )
    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    floors = models.CharField(
        _("所在楼层"), max_length=32, blank=True, help_text=_("如 12 或 12-14")
    )
    contact_name = models.CharField(_("联系人"), max_length=64)
    locals().update(personal_columns("phone", _("联系电话")))

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("入驻企业")
        verbose_name_plural = _("入驻企业")
        ordering = ["site_id", "name", "id"]
        permissions = [
            ("manage_building", _("管理楼宇入驻企业与复工审批")),
            ("act_tenant", _("入驻企业申请复工、登记返岗员工")),
            ("view_figures", _("查看复工统计")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "household"],
                name="resumption_tenant_company_household_uniq",
                violation_error_message=_("该单元已登记入驻企业。"),
            ),
            models.UniqueConstraint(
                fields=["company", "site", "credit_code"],
                name="resumption_tenant_company_site_code_uniq",
                violation_error_message=_("本楼宇已登记此统一社会信用代码的企业。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="resumption_tenant_company_id_uniq"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("resumption:tenant_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class Application(SiteModel):
    """A tenant's application to resume work; the building's manager decides it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")
        SUSPENDED = "suspended", _("已暂停")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="applications", verbose_name=_("入驻企业")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    planned_date = models.DateField(_("计划复工日期"))
    headcount = models.PositiveIntegerField(_("返岗人数"))
    origin_codes = models.JSONField(
        _("员工来源地"), default=list, blank=True, help_text=_("行政区划代码")
    )
    prevention_plan = models.TextField(_("防控方案"))
    plan_file = models.FileField(_("防控方案附件"), upload_to="resumption/plans/%Y/%m/", blank=True)
    person_in_charge = models.CharField(_("防疫负责人"), max_length=64)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_headcount = models.PositiveIntegerField(_("核准返岗人数"), null=True, blank=True)
    conditions = models.TextField(_("复工条件"), blank=True)
    refused_reason = models.CharField(_("不批准原因"), max_length=200, blank=True)
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    suspended_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)

    # The association reads its members' applications as counts only (figures).
    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "household": "tenant__household_id",
        "association": Through(
            "company_id", "orgs.Membership", key="association_id", value="company_id"
        ),
    }

    class Meta:
        verbose_name = _("复工申请")
        verbose_name_plural = _("复工申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "id"], name="resumption_application_company_id_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "tenant", "created_at"], name="resumption_app_tenant_idx"
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("resumption:application_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.tenant} · {self.planned_date:%Y-%m-%d}"


class AuditAction(BaseAuditAction):
    """What the resumption app's services record in the audit trail."""

    TENANT_REGISTER = "resumption.tenant_register", _("登记入驻企业")
    TENANT_UPDATE = "resumption.tenant_update", _("修改入驻企业")
    TENANT_ADMIN_CREATE = "resumption.tenant_admin_create", _("为入驻企业开设管理账号")
    APPLICATION_SAVE = "resumption.application_save", _("保存复工申请")
    APPLICATION_SUBMIT = "resumption.application_submit", _("提交复工申请")
    APPLICATION_APPROVE = "resumption.application_approve", _("批准复工")
    APPLICATION_REFUSE = "resumption.application_refuse", _("不批准复工")
    APPLICATION_SUSPEND = "resumption.application_suspend", _("暂停复工")
    STAFF_REGISTER = "resumption.staff_register", _("登记返岗员工")
    STAFF_IMPORT = "resumption.staff_import", _("批量登记返岗员工")
    PASSES_ISSUE = "resumption.passes_issue", _("为返岗员工发放通行证")
