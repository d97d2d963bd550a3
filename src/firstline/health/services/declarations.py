"""Travel and health declarations: consent, submission with screening, reasons.

Writes follow the house shape: keyword-only arguments, one transaction, the audit
row inside it. Callers (pages, API, import) have already checked the actor's
permission over the resident through the scope; the resident signing in with a
one-time code is the actor-less case (channel "self").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from firstline.core.personal.normalise import normalise_digits
from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Resident
from firstline.health.models import (
    AuditAction,
    Consent,
    Declaration,
    DeclarationPlace,
    HealthAlert,
    RiskArea,
    ScreeningConfig,
    Status,
    Symptom,
    WorkItem,
)
from firstline.health.services import rules

# The version of the health-data notice (告知书) the resident agrees to; a new text
# needs a new version, and consent to an older one is asked again.
TEXT_VERSION = "2020-01"
CHANNELS = frozenset(Declaration.Channel.values)
TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
MAX_PLACES = 50
DIVISION_CODE = re.compile(r"[0-9]{2,12}")


@dataclass(frozen=True)
class PlaceInput:
    place_name: str
    visited_on: date
    division_code: str = ""


@dataclass(frozen=True)
class DeclarationInput:
    return_date: date | None = None
    transport: str = ""
    contact_confirmed: bool = False
    contact_suspected: bool = False
    symptoms: tuple[str, ...] = ()  # Symptom values
    temperature: Decimal | None = None
    places: tuple[PlaceInput, ...] = ()


# --- reads the rules need ---------------------------------------------------------------


def screening_config(company_id: int) -> rules.Config:
    """The company's rules, or the defaults when it has set none."""
    row = ScreeningConfig.all_tenants.filter(company_id=company_id).first()
    return rules.Config.from_model(row)


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(1, len(code) + 1)]


def areas_for(places) -> list[RiskArea]:
    """The areas in force that could match these places: by a prefix of one of
    their division codes, or named areas (which match by name). Risk areas are
    shared reference data, not tenant rows."""
    codes = {prefix for p in places if p.division_code for prefix in _prefixes(p.division_code)}
    qs = RiskArea.objects.filter(current=True).only(
        "division_code", "name", "level", "valid_from", "valid_until"
    )
    by_code = list(qs.filter(division_code__in=sorted(codes))) if codes else []
    return by_code + list(qs.filter(division_code=""))


# --- consent ------------------------------------------------------------------------------


def consent_record(*, resident: Resident, channel: str, actor=None, now=None) -> Consent:
    """The resident's consent to the current notice: an unwithdrawn one if there is
    one already, otherwise a new record (with its audit row)."""
    if channel not in CHANNELS:
        raise ValidationError({"channel": _("未知的填报渠道：%(v)s") % {"v": channel}})
    existing = (
        Consent.all_tenants.filter(
            resident_id=resident.pk, text_version=TEXT_VERSION, withdrawn_at__isnull=True
        )
        .order_by("-given_at")
        .first()
    )
    if existing is not None:
        return existing
    with transaction.atomic():
        consent = Consent.all_tenants.create(
            company_id=resident.company_id,
            site_id=resident.site_id,
            resident_id=resident.pk,
            text_version=TEXT_VERSION,
            channel=channel,
            given_at=now or timezone.now(),
            recorded_by=stored_actor(actor),
        )
        audit_record(
            actor=actor,
            company_id=resident.company_id,
            action=AuditAction.CONSENT_RECORD,
            obj=consent,
            changes={"text_version": TEXT_VERSION, "channel": channel},
        )
    return consent


# --- validation ---------------------------------------------------------------------------


def declaration_clean(
    *, resident: Resident, data: DeclarationInput, channel: str, consent: Consent, today: date
) -> DeclarationInput:
    """The input, normalised, or ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if channel not in CHANNELS:
        error("channel", _("未知的填报渠道：%(v)s") % {"v": channel})
    if (
        consent is None
        or consent.resident_id != resident.pk
        or consent.withdrawn_at is not None
        or consent.company_id != resident.company_id
    ):
        error("consent", _("需要本人同意处理健康信息后才能申报。"))

    config = screening_config(resident.company_id)
    cutoff = config.cutoff(today)
    places: list[PlaceInput] = []
    if len(data.places) > MAX_PLACES:
        error("places", _("到访地点最多 %(n)d 个。") % {"n": MAX_PLACES})
    for number, place in enumerate(data.places, start=1):
        name = (place.place_name or "").strip()
        code = normalise_digits(place.division_code)
        where = _("第 %(n)d 个到访地点：") % {"n": number}
        if not name:
            error("places", where + _("地点不能为空"))
        elif len(name) > 100:
            error("places", where + _("地点不能超过 100 个字"))
        if code and not DIVISION_CODE.fullmatch(code):
            error("places", where + _("区划代码应为 2 到 12 位数字"))
        visited = place.visited_on
        if not isinstance(visited, date):
            error("places", where + _("请填写到访日期"))
        elif visited > today:
            error("places", where + _("日期不能晚于今天"))
        elif visited <= cutoff:
            error(
                "places",
                where
                + _("只需申报最近 %(days)d 天内（%(day)s 之后）的行程")
                % {"days": config.window_days, "day": cutoff.isoformat()},
            )
        places.append(PlaceInput(place_name=name, visited_on=visited, division_code=code))

    symptoms = tuple(dict.fromkeys(data.symptoms or ()))
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        error("symptoms", _("未知的症状：%(v)s") % {"v": "、".join(map(str, unknown))})

    temperature = data.temperature
    if temperature is not None:
        try:
            temperature = Decimal(str(temperature)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            error("temperature", _("体温应为数字，如 36.5"))
            temperature = None
        else:
            if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
                error(
                    "temperature",
                    _("体温应在 %(a)s 到 %(b)s℃ 之间")
                    % {"a": TEMPERATURE_MIN, "b": TEMPERATURE_MAX},
                )

    if data.return_date is not None and data.return_date > today:
        error("return_date", _("返回日期不能晚于今天"))
    transport = (data.transport or "").strip()
    if len(transport) > 64:
        error("transport", _("交通方式不能超过 64 个字"))

    if errors:
        raise ValidationError(errors)
    return DeclarationInput(
        return_date=data.return_date,
        transport=transport,
        contact_confirmed=bool(data.contact_confirmed),
        contact_suspected=bool(data.contact_suspected),
        symptoms=symptoms,
        temperature=temperature,
        places=tuple(places),
    )


# --- submission ---------------------------------------------------------------------------


def declaration_submit(
    *,
    resident: Resident,
    data: DeclarationInput,
    channel: str,
    consent: Consent,
    actor=None,
    now=None,
) -> Declaration:
    """Store a declaration as the resident's current one, screen it, and put a
    yellow or red resident on the worklist (a red one also raises an alert)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    clean = declaration_clean(
        resident=resident, data=data, channel=channel, consent=consent, today=today
    )
    config = screening_config(resident.company_id)
    places = clean.places
    result = rules.screen(
        declaration=clean, places=places, areas=areas_for(places), config=config, as_of=today
    )
    with transaction.atomic():
        # One current declaration per resident: two submissions at once queue here.
        locked = (
            Resident.all_tenants.select_for_update()
            .filter(pk=resident.pk)
            .values_list("household_id", flat=True)
        )
        household_id = next(iter(locked))
        Declaration.all_tenants.filter(resident_id=resident.pk, current=True).update(
            current=False, updated_at=now
        )
        declaration = Declaration.all_tenants.create(
            company_id=resident.company_id,
            site_id=resident.site_id,
            resident_id=resident.pk,
            household_id=household_id,
            current=True,
            channel=channel,
            consent=consent,
            submitted_at=now,
            return_date=clean.return_date,
            transport=clean.transport,
            contact_confirmed=clean.contact_confirmed,
            contact_suspected=clean.contact_suspected,
            symptoms=list(clean.symptoms),
            has_symptoms=bool(clean.symptoms),
            temperature=clean.temperature,
            status=result.status,
            screened_at=now,
            recorded_by=stored_actor(actor),
        )
        DeclarationPlace.all_tenants.bulk_create(
            DeclarationPlace(
                company_id=resident.company_id,
                declaration=declaration,
                division_code=p.division_code,
                place_name=p.place_name,
                visited_on=p.visited_on,
            )
            for p in places
        )
        if result.status != Status.GREEN:
            worklist_put(declaration=declaration, household_id=household_id)
        if result.status == Status.RED:
            red_alert_raise(declaration=declaration, resident_name=resident.name, now=now)
        # Health details stay out of the audit trail: it says who declared, how, and the outcome.
        audit_record(
            actor=actor,
            company_id=resident.company_id,
            action=AuditAction.DECLARATION_SUBMIT,
            obj=declaration,
            changes={"resident": resident.pk, "channel": channel, "status": result.status},
        )
    return declaration


def worklist_put(*, declaration: Declaration, household_id: int) -> WorkItem:
    """Open a follow-up for the resident, or raise the level of the open one."""
    item = (
        WorkItem.all_tenants.select_for_update()
        .filter(resident_id=declaration.resident_id)
        .exclude(state=WorkItem.State.CLOSED)
        .first()
    )
    if item is None:
        return WorkItem.all_tenants.create(
            company_id=declaration.company_id,
            site_id=declaration.site_id,
            resident_id=declaration.resident_id,
            household_id=household_id,
            declaration=declaration,
            level=declaration.status,
        )
    if rules.RANK[declaration.status] > rules.RANK[item.level]:
        WorkItem.all_tenants.filter(pk=item.pk).update(
            level=declaration.status, declaration=declaration, updated_at=timezone.now()
        )
        item.level = declaration.status
    return item


def red_alert_key(declaration_id: int) -> str:
    return f"declaration:{declaration_id}"


def red_alert_raise(*, declaration: Declaration, resident_name: str, now) -> None:
    """A red screening alert for the health officer; raising it twice is a no-op."""
    HealthAlert.all_tenants.bulk_create(
        [
            HealthAlert(
                company_id=declaration.company_id,
                site_id=declaration.site_id,
                kind=HealthAlert.Kind.RED_SCREENING,
                key=red_alert_key(declaration.pk),
                resident_id=declaration.resident_id,
                message=red_alert_message(resident_name),
                due_at=now,
            )
        ],
        ignore_conflicts=True,
    )


def red_alert_suffix() -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored text: in the records' language
        return _("行程申报筛查为红码，请尽快跟进")


def red_alert_message(resident_name: str) -> str:
    """ "<name> <suffix>": screening.py builds the same text in SQL."""
    return f"{resident_name} {red_alert_suffix()}"[:200]


# --- reading back -------------------------------------------------------------------------


def declaration_reasons(declaration: Declaration, *, as_of: date | None = None) -> list[str]:
    """The reasons in words, from the same rules and the risk areas in force today
    (the daily re-screening keeps the stored status in step with them)."""
    places = list(
        DeclarationPlace.all_tenants.filter(declaration_id=declaration.pk).only(
            "division_code", "place_name", "visited_on"
        )
    )
    result = rules.screen(
        declaration=declaration,
        places=places,
        areas=areas_for(places),
        config=screening_config(declaration.company_id),
        as_of=as_of or timezone.localdate(),
    )
    return list(result.reasons)
