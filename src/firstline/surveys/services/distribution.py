"""Distribution of a survey (issue #19): its settings (how an owner's phone proves
itself, the quotas per site and district, the reminders' interval), the owners'
one-time codes, and the company surveys as tasks of the member companies
(delegation to a staff user, started, reminded).

One-time codes are health's (health/services/otp.py and sms.py, a lower floor):
six digits by text message, five minutes, five attempts, at most one a minute and
ten a day per phone and per client address. A code is sent for a site, so a
survey checked by code is answered through a site's own link.

Reminders: the platform's message channels are notices (the same floor: surveys
may not import it) and health's text messages, whose purposes and provider
templates are health's own (a survey reminder is none of them). So a reminder is
kept here, on the company's task (`Assignment.reminded_at`, `reminders`), and
shown in the platform to the company admin and the delegate (the "待填问卷" page
and the answering page); `remind_due` sends the scheduled ones (schedule.py).

Reads go through scopes: the association's own (the caller's, or one made for
the association a job works on), a company's for its own task.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.roles import Role, Target
from firstline.core.scope import Grant, Scope
from firstline.core.services import audit_record
from firstline.health.services import otp
from firstline.orgs.models import Association, Membership, User
from firstline.surveys.models import Assignment, AuditAction, Response, Survey
from firstline.surveys.services import responses

# A company's staff users, who may be delegated a company survey (not residents).
STAFF_ROLES = (
    Role.COMPANY_ADMIN,
    Role.SITE_MANAGER,
    Role.HEALTH_OFFICER,
    Role.GUARD,
    Role.CLEANER,
)
# An on-demand reminder skips a company reminded less than this long ago.
REMIND_GAP = timedelta(hours=12)
MAX_QUOTA = 1_000_000


def association_scope(association_id: int) -> Scope:
    """The association's rows, for a job that works on one association's surveys."""
    return Scope(
        user_id=None,
        grants=(Grant(Role.ASSOCIATION_ADMIN, Target.ASSOCIATION, association_id),),
    )


def company_scope(company_id: int) -> Scope:
    """One company's rows (its own task and response), for the company's pages."""
    return Scope(
        user_id=None, grants=(Grant(Role.COMPANY_ADMIN, Target.COMPANY, company_id, company_id),)
    )


# --- settings -------------------------------------------------------------------------------


def _quota(value, field: str) -> int | None:
    if value in (None, "", 0):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("请填写正整数。")}) from None
    if number < 1 or number > MAX_QUOTA:
        raise ValidationError({field: _("请填写 1 到 1000000 之间的整数。")})
    return number


def survey_set_distribution(
    *,
    actor,
    survey: Survey,
    phone_check: str | None = None,
    quota_per_site=None,
    quota_per_district=None,
    remind_every_days=None,
) -> Survey:
    """The survey's distribution settings. Quotas and codes are for owners' surveys,
    the reminders' interval for company surveys. A quota removed forgets its
    counters (set again, they are counted afresh from the responses)."""
    owners = survey.audience == Survey.Audience.OWNERS
    site_q = _quota(quota_per_site, "quota_per_site")
    district_q = _quota(quota_per_district, "quota_per_district")
    remind = _quota(remind_every_days, "remind_every_days")
    if remind is not None and remind > 60:
        raise ValidationError({"remind_every_days": _("提醒间隔不超过 60 天。")})
    check = phone_check or Survey.PhoneCheck.DEVICE
    if check not in Survey.PhoneCheck.values:
        raise ValidationError({"phone_check": _("请选择手机号验证方式。")})
    if not owners and (site_q or district_q or check != Survey.PhoneCheck.DEVICE):
        raise ValidationError(_("限额和短信验证只用于业主问卷。"))
    if owners and remind:
        raise ValidationError({"remind_every_days": _("自动提醒只用于企业问卷。")})
    with transaction.atomic():
        locked = Survey.objects.for_scope(association_scope(survey.association_id))
        survey = locked.select_for_update().get(pk=survey.pk)
        before = {
            "phone_check": survey.phone_check,
            "quota_per_site": survey.quota_per_site,
            "quota_per_district": survey.quota_per_district,
            "remind_every_days": survey.remind_every_days,
        }
        after = {
            "phone_check": check,
            "quota_per_site": site_q,
            "quota_per_district": district_q,
            "remind_every_days": remind,
        }
        dropped = []
        if before["quota_per_site"] and not site_q:
            dropped.append("site")
        if before["quota_per_district"] and not district_q:
            dropped.append("district")
        responses.forget_counters(survey, dropped)
        for key, value in after.items():
            setattr(survey, key, value)
        survey.save(update_fields=[*after, "updated_at"])
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_DISTRIBUTION,
            obj=survey,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return survey


# --- owners: one-time codes -----------------------------------------------------------------


def _code_survey(survey: Survey, site, now) -> None:
    if not survey.accepting(now):
        raise ValidationError(_("问卷未开放或已结束。"), code="closed")
    if survey.phone_check != Survey.PhoneCheck.CODE:
        raise ValidationError(_("本问卷不需要验证码。"))
    if site is None:
        raise ValidationError(_("请扫描所在项目的二维码填写本问卷。"), code="site_needed")


def owner_request_code(*, survey: Survey, site, phone: str, ip: str = "", now=None) -> str:
    """Send a one-time code to `phone` (health's limits apply: a minute between two,
    ten a day, per phone and per address). Returns the code (a page shows it only
    when sms.shows_codes()). Whether the phone answered already is told only after
    the code: a stranger learns nothing from asking."""
    now = now or timezone.now()
    _code_survey(survey, site, now)
    return otp.request_code(site=site, phone=phone, ip=ip, now=now)


def owner_verify_code(*, survey: Survey, site, phone: str, code: str, now=None) -> str:
    """The phone's digest once its code is right (the code is spent); ValidationError
    on `code` (wrong, expired, too many attempts) or on `phone` (answered already)."""
    now = now or timezone.now()
    _code_survey(survey, site, now)
    otp.verify_code(site=site, phone=phone, code=code, now=now)
    digest = otp.phone_digest(otp.clean_phone(phone))
    if responses.already_answered(survey=survey, phone_digest=digest):
        raise ValidationError({"phone": _("这个手机号已经填写过本问卷，感谢参与。")})
    return digest


def owner_submit_with_code(
    *, survey: Survey, site, phone: str, code: str, raw, now=None
) -> Response:
    """The API's one call for an owner of a survey checked by code: the answers are
    checked and the quota looked at first (a refusal spends no code), then the code
    is verified (and spent), then the answers submitted for that phone."""
    _code_survey(survey, site, now or timezone.now())
    from firstline.surveys.selectors.public import questions_of

    _answers, errors = responses.clean(questions_of(survey), raw)
    if errors:
        raise ValidationError(errors)
    if kind := responses.quota_full(survey, site):
        raise ValidationError(responses.full_message(kind), code="quota_full")
    digest = owner_verify_code(survey=survey, site=site, phone=phone, code=code, now=now)
    return responses.response_submit(
        actor=None, survey=survey, raw=raw, site=site, phone_digest=digest, now=now
    )


# --- company surveys: the company's task ----------------------------------------------------


def member_company_ids(association_id: int):
    return Membership.objects.filter(association_id=association_id).values("company_id")


def _task(survey: Survey, company_id: int, *, lock: bool = False) -> Assignment:
    """The company's task for the survey, made on first use."""
    rows = Assignment.objects.for_scope(company_scope(company_id)).filter(
        survey=survey, company_id=company_id
    )
    if lock:
        rows = rows.select_for_update()
    task = rows.first()
    if task is not None:
        return task
    try:
        with transaction.atomic():
            Assignment.objects.create(
                association_id=survey.association_id, survey=survey, company_id=company_id
            )
    except IntegrityError:
        pass  # made at the same moment by another request
    return rows.get()


def mark_started(*, survey: Survey, company_id: int, now=None) -> None:
    """The company opened the survey to answer it (the association sees "填写中")."""
    now = now or timezone.now()
    task = _task(survey, company_id)
    if task.started_at is None:
        Assignment.objects.for_scope(company_scope(company_id)).filter(
            pk=task.pk, started_at__isnull=True
        ).update(started_at=now)


def staff_users(company_id: int):
    """The users who hold a staff role at the company or one of its sites."""
    return (
        User.objects.filter(
            role_assignments__company_id=company_id,
            role_assignments__role__in=STAFF_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("display_name", "username")
    )


def delegate(*, actor, survey: Survey, company_id: int, user_id: int | None, now=None):
    """The company admin gives the survey to one of the company's staff users to
    answer (None: takes it back). The delegate answers for the company and sees the
    company's response to this survey only."""
    now = now or timezone.now()
    if survey.audience != Survey.Audience.COMPANIES:
        raise ValidationError(_("只有企业问卷可以委托填写。"))
    if not survey.accepting(now):
        raise ValidationError(_("问卷未开放或已结束。"), code="closed")
    user = None
    if user_id is not None:
        user = staff_users(company_id).filter(pk=user_id).first()
        if user is None:
            raise ValidationError({"user": _("请选择本企业的工作人员。")})
    with transaction.atomic():
        task = _task(survey, company_id, lock=True)
        before = task.delegate_id
        task.delegate = user
        task.delegated_by = actor if getattr(actor, "is_authenticated", False) else None
        task.delegated_at = now if user else None
        task.save(update_fields=["delegate", "delegated_by", "delegated_at"])
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.COMPANY_DELEGATE,
            obj=task,
            changes={"delegate": [before, user.pk if user else None]},
        )
    return task


def delegated_scope(scope: Scope) -> Scope:
    """The companies a user works for (any staff grant, site-level too), as company
    grants: what a delegate's own tasks are read through (always with delegate=user)."""
    return Scope(
        scope.user_id,
        tuple(
            Grant(g.role, Target.COMPANY, g.company_id, g.company_id)
            for g in scope.grants
            if g.company_id is not None and g.role in STAFF_ROLES
        ),
    )


def delegated_tasks(scope: Scope, user_id: int):
    """The user's delegated tasks (open or not), with their survey and company."""
    return (
        Assignment.objects.for_scope(delegated_scope(scope))
        .filter(delegate_id=user_id)
        .select_related("survey", "company")
        .order_by("-survey__created_at", "-id")
    )


# --- reminders ------------------------------------------------------------------------------


def _pending_companies(survey: Survey, scope: Scope):
    """Member companies of the survey without a response."""
    answered = Response.objects.for_scope(scope).filter(
        survey=survey, company__isnull=False, phone_digest=""
    )
    return member_company_ids(survey.association_id).exclude(
        company_id__in=answered.values("company_id")
    )


def remind(*, actor, survey: Survey, now=None, gap: timedelta = REMIND_GAP) -> int:
    """Remind every member company that has not submitted (each one not reminded in
    the last `gap`); returns how many were reminded. Set-based: one insert of the
    missing tasks, one update."""
    now = now or timezone.now()
    if survey.audience != Survey.Audience.COMPANIES:
        raise ValidationError(_("只有企业问卷可以提醒企业。"))
    if not survey.accepting(now):
        raise ValidationError(_("问卷未开放或已结束，不能提醒。"), code="closed")
    scope = association_scope(survey.association_id)
    with transaction.atomic():
        pending = list(_pending_companies(survey, scope).values_list("company_id", flat=True))
        tasks = Assignment.objects.for_scope(scope).filter(survey=survey)
        have = set(tasks.filter(company_id__in=pending).values_list("company_id", flat=True))
        Assignment.objects.bulk_create(
            [
                Assignment(association_id=survey.association_id, survey=survey, company_id=c)
                for c in pending
                if c not in have
            ],
            ignore_conflicts=True,
        )
        reminded = (
            tasks.filter(company_id__in=pending)
            .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - gap))
            .update(reminded_at=now, reminders=F("reminders") + 1)
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.COMPANY_REMIND,
            obj=survey,
            changes={"rows": reminded, "pending": len(pending)},
        )
    return reminded


def remind_due(*, now=None) -> int:
    """The scheduled reminders (schedule.py, daily): each open company survey with
    an interval reminds the companies that have not submitted and were not reminded
    in the interval. Returns how many companies were reminded."""
    now = now or timezone.now()
    total = 0
    for association_id in Association.objects.order_by("id").values_list("id", flat=True):
        due = (
            Survey.objects.for_scope(association_scope(association_id))
            .filter(
                audience=Survey.Audience.COMPANIES,
                state=Survey.State.OPEN,
                remind_every_days__isnull=False,
            )
            .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        )
        for survey in due:
            # A little under the interval, so a daily job does not slip a day.
            gap = timedelta(days=survey.remind_every_days) - timedelta(hours=1)
            total += remind(actor=None, survey=survey, now=now, gap=gap)
    return total


def reminders_for(scope: Scope, *, now=None) -> list[Assignment]:
    """The reminders a company admin should see: tasks of open surveys, reminded and
    not submitted (at most 10)."""
    now = now or timezone.now()
    tasks = (
        Assignment.objects.for_scope(scope)
        .filter(
            reminded_at__isnull=False,
            survey__state=Survey.State.OPEN,
            survey__audience=Survey.Audience.COMPANIES,
        )
        .filter(Q(survey__closes_at__isnull=True) | Q(survey__closes_at__gt=now))
        .annotate(
            done=Exists(
                Response.objects.for_scope(scope).filter(
                    survey_id=OuterRef("survey_id"),
                    company_id=OuterRef("company_id"),
                    phone_digest="",
                )
            )
        )
        .filter(done=False)
        .select_related("survey")
        .order_by("-reminded_at")
    )
    return list(tasks[:10])
