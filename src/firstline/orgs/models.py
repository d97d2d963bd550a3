"""Associations, member companies, users and their role assignments."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction
from firstline.core.roles import ROLE_TARGETS, Role, Target
from firstline.core.scope import Scope
from firstline.core.tenancy import TenantQuerySet
from firstline.orgs.validators import validate_credit_code


class User(AbstractUser):
    """A person who signs in. What they may see comes from their role assignments."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    totp_secret_enc = models.BinaryField(
        _("动态口令密钥（密文）"), null=True, blank=True, editable=False
    )
    totp_confirmed = models.BooleanField(_("已启用双重验证"), default=False)
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Association(models.Model):
    """An industry association: the national institute or a local one."""

    name = models.CharField(_("名称"), max_length=128, unique=True)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    division = models.ForeignKey(
        "geo.Division",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所在地区"),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级协会"),
    )

    class Meta:
        verbose_name = _("协会")
        verbose_name_plural = _("协会")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class CompanyManager(models.Manager.from_queryset(TenantQuerySet)):
    """Companies are the tenant itself, so `Company.objects` stays a plain manager
    (everything joins to it); pages read them through `for_scope`: a company's own
    roles see it, an association's roles see its members."""

    def for_scope(self, scope: Scope) -> TenantQuerySet:
        from firstline.core.roles import Target

        companies = sorted(scope.ids(Target.COMPANY) | scope.company_ids)
        associations = sorted(scope.ids(Target.ASSOCIATION))
        condition = models.Q(pk__in=companies)
        if associations:
            members = Membership.objects.filter(
                company=models.OuterRef("pk"), association_id__in=associations
            )
            condition |= models.Exists(members)
        qs = (
            super().get_queryset().filter(condition)
            if (companies or associations)
            else super().get_queryset().none()
        )
        qs._firstline_scope = scope
        return qs


class Company(models.Model):
    """A member property-service company: the tenant."""

    objects = CompanyManager()

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        CLOSED = "closed", _("已注销")

    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    division = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("注册地")
    )
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(
        _("联系电话"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9\-+ ]{7,20}$", _("电话号码格式不正确。"))],
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = {"company": "id"}

    class Meta:
        verbose_name = _("物业企业")
        verbose_name_plural = _("物业企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("company_detail", args=[self.pk])


class Membership(models.Model):
    """A company's membership of an association."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("会员")
        LAPSED = "lapsed", _("已过期")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("企业")
    )
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("协会")
    )
    joined_on = models.DateField(_("入会日期"))
    level = models.CharField(_("会员级别"), max_length=32, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("会员关系")
        verbose_name_plural = _("会员关系")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "association"],
                name="orgs_membership_company_association_uniq",
                violation_error_message=_("该企业已是该协会会员。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id}@{self.association_id}"


class RoleAssignment(models.Model):
    """One role over one target. The target's kind follows from the role (core.roles)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    association = models.ForeignKey(
        Association, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey(
        "estates.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        "estates.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    division = models.ForeignKey(
        "geo.Division", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                # Exactly one target; site and household grants also name their company.
                condition=(
                    models.Q(
                        association__isnull=False,
                        company__isnull=True,
                        site__isnull=True,
                        household__isnull=True,
                        division__isnull=True,
                    )
                    | models.Q(
                        company__isnull=False,
                        site__isnull=True,
                        household__isnull=True,
                        association__isnull=True,
                        division__isnull=True,
                    )
                    | models.Q(
                        company__isnull=False,
                        site__isnull=False,
                        household__isnull=True,
                        association__isnull=True,
                        division__isnull=True,
                    )
                    | models.Q(
                        company__isnull=False,
                        household__isnull=False,
                        site__isnull=True,
                        association__isnull=True,
                        division__isnull=True,
                    )
                    | models.Q(
                        division__isnull=False,
                        association__isnull=True,
                        company__isnull=True,
                        site__isnull=True,
                        household__isnull=True,
                    )
                ),
                name="orgs_roleassignment_one_target",
                violation_error_message=_("角色授权必须且只能指定一个对象。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} ({self.target})"

    @property
    def target(self) -> str:
        if self.household_id:
            return Target.HOUSEHOLD
        if self.site_id:
            return Target.SITE
        if self.company_id:
            return Target.COMPANY
        if self.division_id:
            return Target.DIVISION
        return Target.ASSOCIATION

    def target_allowed(self) -> bool:
        return self.target in ROLE_TARGETS[self.role]


class ApiToken(models.Model):
    """A personal API token for a device or integration; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditAction(BaseAuditAction):
    """What the orgs app's services record in the audit trail."""

    USER_PASSWORD_CHANGE = "orgs.user_password_change", _("修改密码")
    USER_LOCK = "orgs.user_lock", _("锁定账号")
    USER_TOTP_SETUP_BEGIN = "orgs.user_totp_setup_begin", _("开始设置双重验证")
    USER_TOTP_ENABLE = "orgs.user_totp_enable", _("启用双重验证")
    USER_TOTP_DISABLE = "orgs.user_totp_disable", _("停用双重验证")
    API_TOKEN_CREATE = "orgs.api_token_create", _("创建 API 令牌")
    API_TOKEN_REVOKE = "orgs.api_token_revoke", _("吊销 API 令牌")
    COMPANY_CREATE = "orgs.company_create", _("新建企业")
    COMPANY_UPDATE = "orgs.company_update", _("修改企业")
