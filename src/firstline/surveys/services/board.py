"""The board's results page: a read-only link to a survey's figures that the research
group hands to the association's board (no sign-in).

A link is a signed token (HMAC with the site's secret key, salted for this use) of
the survey's association, the survey, a random link id and the expiry, so it cannot
be guessed or altered, and names the one survey it shows. Making and revoking a link
are audited, and the audit rows are also the links' record: the survey's links are
its `BOARD_LINK_CREATE` rows, and a link whose id has a `BOARD_LINK_REVOKE` row is
dead (selectors/board.py checks that on every view). The token is the same whenever
it is signed again, so the results page can show each live link's address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.core.models import AuditEvent, BaseAuditAction
from firstline.core.services import audit_record
from firstline.surveys.models import Survey

SALT = "firstline.surveys.board"
LABEL_MAX = 60


class BoardAction(BaseAuditAction):
    """The board links' audit actions (beside models.AuditAction)."""

    BOARD_LINK_CREATE = "surveys.board_link_create", gettext_lazy("生成结果分享链接")
    BOARD_LINK_REVOKE = "surveys.board_link_revoke", gettext_lazy("撤销结果分享链接")


@dataclass(frozen=True)
class BoardLink:
    association_id: int
    survey_id: int
    link: str
    expires_at: datetime | None
    label: str = ""
    created_at: datetime | None = None

    @property
    def token(self) -> str:
        expires = int(self.expires_at.timestamp()) if self.expires_at else 0
        return signing.Signer(salt=SALT).sign_object(
            [self.association_id, self.survey_id, self.link, expires]
        )

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at


def link_from_token(token: str) -> BoardLink | None:
    """The link a token stands for, if its signature holds (revocation and expiry are
    the selector's to check)."""
    try:
        association_id, survey_id, link, expires = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(association_id, int) and isinstance(survey_id, int)):
        return None
    at = datetime.fromtimestamp(expires, tz=UTC) if expires else None
    return BoardLink(association_id, survey_id, str(link), at)


def survey_events(survey_id: int):
    """The audit rows of one survey (the audit table's index: company, object)."""
    return AuditEvent.objects.filter(
        company=None, object_type=Survey._meta.label_lower, object_id=str(survey_id)
    )


def board_link_create(
    *, actor, survey: Survey, expires_at: datetime | None = None, label: str = ""
) -> BoardLink:
    """A new link to `survey`'s board page (the caller read the survey in its scope)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("到期时间必须晚于现在。")})
    link = BoardLink(
        survey.association_id,
        survey.pk,
        secrets.token_urlsafe(9),
        expires_at.replace(microsecond=0) if expires_at else None,
        label.strip()[:LABEL_MAX],
        timezone.now(),
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            company_id=None,
            action=BoardAction.BOARD_LINK_CREATE,
            obj=survey,
            changes={
                "link": link.link,
                "expires_at": link.expires_at.isoformat() if link.expires_at else None,
                "label": link.label,
            },
        )
    return link


def board_link_revoke(*, actor, survey: Survey, link: str) -> None:
    """Revoke one of `survey`'s links (the caller read the survey in its scope);
    revoking a dead link again changes nothing. Two revocations at the same moment may
    both write their audit row: the link is dead either way."""
    with transaction.atomic():
        created = survey_events(survey.pk).filter(
            action=BoardAction.BOARD_LINK_CREATE, changes__link=link
        )
        if not created.exists():
            raise ValidationError(_("没有这个分享链接。"))
        revoked = survey_events(survey.pk).filter(
            action=BoardAction.BOARD_LINK_REVOKE, changes__link=link
        )
        if revoked.exists():
            return
        audit_record(
            actor=actor,
            company_id=None,
            action=BoardAction.BOARD_LINK_REVOKE,
            obj=survey,
            changes={"link": link},
        )
