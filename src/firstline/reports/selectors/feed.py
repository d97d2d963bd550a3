"""The command centre's live feed: the alerts of four apps in one list.

Fever at the gate (access.Alert), the health alerts (missed isolation check, fever,
symptoms, urgent support, red screening), overdue disinfection
(sanitation.OverdueAlert) and the safety of people on duty (volunteers.SafetyAlert: a
staff member's or volunteer's red daily check, a hospital support task overdue) live
in four tables. The feed reads them as ONE query: a
UNION of `.values()` querysets with the same columns, newest first, 50 a page. Then
one query for the names of the page's sites and one for its assignees' names, so a
page costs the same whatever the number of alerts or sources.

Scoping, fail closed:
- A company user's part of each table comes from `for_scope(scope.for_perm(<that
  table's view permission>))`: a health officer, who may not see sanitation alerts,
  gets no sanitation part at all.
- An authority viewer holds division grants and no company grant, and the alert
  tables have no division path. Its parts are read from `all_tenants` restricted to
  sites whose community code starts with one of its division codes (with the
  reports.view_command permission). Alert messages may name residents ("张伟 体温
  37.8"), so for authorities the message column is replaced by an empty string IN
  THE QUERY: an authority sees the kind, the site and the time, never the text.
  (A user holding both kinds of grant would see an alert twice, once masked; no
  role is granted that way.)

Polling: `since` (a time) keeps only alerts created after it; the page remembers the
newest time it showed. Older pages: `before`, a cursor (time, source, id) of the
last row shown, since ids of four tables are not comparable on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, F, Q, Value
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from firstline.access.models import Alert
from firstline.core.api import ROW_ID_MAX
from firstline.core.models import AlertModel
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.health.models import HealthAlert
from firstline.orgs.models import User
from firstline.sanitation.models import OverdueAlert
from firstline.volunteers.models import SafetyAlert

PAGE_SIZE = 50
COMMAND_PERM = "reports.view_command"
ACT_PERM = "reports.act_alert"

# source → (model, the permission its own alert list asks for)
SOURCES: dict[str, tuple[type[AlertModel], str]] = {
    "access": (Alert, "access.view_alert"),
    "health": (HealthAlert, "health.view_alert"),
    "sanitation": (OverdueAlert, "sanitation.view_alert"),
    "volunteers": (SafetyAlert, "volunteers.view_duty"),
}
OVERDUE_KIND = "overdue"

# "source:kind": the filter's values, and the label every row shows.
KINDS = {
    **{f"access:{value}": label for value, label in Alert.Kind.choices},
    **{f"health:{value}": label for value, label in HealthAlert.Kind.choices},
    f"sanitation:{OVERDUE_KIND}": _("消杀超时"),
    **{f"volunteers:{value}": label for value, label in SafetyAlert.Kind.choices},
}
SOURCE_LABELS = {
    "access": _("门岗"),
    "health": _("防疫"),
    "sanitation": _("消杀"),
    "volunteers": _("一线安全"),
}

# The union's columns, in order (each part annotates them in this order).
COLUMNS = (
    "source",
    "id",
    "kind",
    "site_id",
    "company_id",
    "message",
    "created_at",
    "acknowledged_at",
    "assigned_to_id",
)
_ALIASES = {name: f"f_{name}" for name in COLUMNS}


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    source: str
    id: int

    def __str__(self) -> str:
        return f"{self.created_at.isoformat()}|{self.source}|{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor:
        try:
            at, source, pk = raw.rsplit("|", 2)
            when = parse_datetime(at)
            if when is None or source not in SOURCES:
                raise ValueError
            return cls(when, source, int(pk))
        except ValueError:
            raise ValidationError({"before": _("翻页位置无效。")}) from None


@dataclass(frozen=True)
class FeedFilter:
    """What the user asked for; `parse` reports a bad value on its field."""

    state: str = "open"  # "open" | "all"
    kind: str = ""  # a key of KINDS
    site_id: int | None = None
    district: str = ""  # a division code prefix (6 digits: a district)
    since: datetime | None = None
    before: Cursor | None = None

    @classmethod
    def parse(cls, data) -> FeedFilter:
        errors = {}
        state = data.get("state") or "open"
        if state not in ("open", "all"):
            errors["state"] = _("状态只能是 open 或 all。")
        kind = data.get("kind") or ""
        if kind and kind not in KINDS:
            errors["kind"] = _("没有这种告警类型。")
        site_id = None
        if raw := data.get("site"):
            try:
                site_id = int(raw)
            except (TypeError, ValueError):
                errors["site"] = _("项目编号必须是数字。")
            else:
                if not 1 <= site_id <= ROW_ID_MAX:
                    site_id = None
                    errors["site"] = _("项目编号必须是数字。")
        district = (data.get("district") or "").strip()
        if district and (not district.isdigit() or len(district) > 12):
            errors["district"] = _("区划代码必须是数字。")
        since = None
        if raw := data.get("since"):
            since = _parse_time(raw)
            if since is None:
                errors["since"] = _("since 必须是 ISO 8601 时间。")
        before = None
        if raw := data.get("before"):
            try:
                before = Cursor.parse(raw)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        return cls(state, kind, site_id, district, since, before)

    def query_string(self) -> dict:
        """The filters (not the cursors) as GET parameters, for links and polling."""
        out = {"state": self.state}
        if self.kind:
            out["kind"] = self.kind
        if self.site_id:
            out["site"] = self.site_id
        if self.district:
            out["district"] = self.district
        return out


def _parse_time(raw) -> datetime | None:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = parse_datetime(str(raw).replace(" ", "+"))  # "+" arrives as a space
        except ValueError:
            return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@dataclass
class Page:
    rows: list[dict]
    has_more: bool
    masked: bool  # the viewer is an authority: no messages
    newest: datetime | None = None
    next_before: str = ""
    sites: dict[int, str] = field(default_factory=dict)


def authority_codes(scope: Scope) -> list[str]:
    """Division codes over which the scope may watch the command centre."""
    return sorted(str(code) for code in scope.for_perm(COMMAND_PERM).ids(Target.DIVISION))


def division_q(codes: list[str], path: str = "site__community__code") -> Q:
    return reduce(or_, (Q(**{f"{path}__startswith": code}) for code in codes))


def _bases(scope: Scope):
    """(source, queryset, masked) per part: the company user's scoped parts, then the
    authority's division parts. A part whose scope is empty is left out."""
    parts = []
    for source, (model, perm) in SOURCES.items():
        sub = scope.for_perm(perm)
        if sub.grants:
            parts.append((source, model.objects.for_scope(sub), False))
    if codes := authority_codes(scope):
        # Authorities read across companies by design (DESIGN.md), only alerts of
        # sites in their divisions, and the message never leaves the database.
        for source, (model, _perm) in SOURCES.items():
            parts.append((source, model.all_tenants.filter(division_q(codes)), True))
    return parts


def _columns(source: str, qs, masked: bool):
    kind = Value(OVERDUE_KIND, output_field=CharField()) if source == "sanitation" else F("kind")
    message = Value("", output_field=CharField()) if masked else F("message")
    return qs.annotate(
        f_source=Value(source, output_field=CharField()),
        f_id=F("id"),
        f_kind=kind,
        f_site_id=F("site_id"),
        f_company_id=F("company_id"),
        f_message=message,
        f_created_at=F("created_at"),
        f_acknowledged_at=F("acknowledged_at"),
        f_assigned_to_id=F("assigned_to_id"),
    ).values(*_ALIASES.values())


def _filtered(source: str, qs, flt: FeedFilter):
    """The part narrowed by the filters; None when the kind filter excludes it."""
    if flt.kind:
        kind_source, kind = flt.kind.split(":", 1)
        if kind_source != source:
            return None
        if source != "sanitation":
            qs = qs.filter(kind=kind)
    if flt.state == "open":
        qs = qs.filter(acknowledged_at__isnull=True)
    if flt.site_id:
        qs = qs.filter(site_id=flt.site_id)
    if flt.district:
        qs = qs.filter(site__community__code__startswith=flt.district)
    if flt.since:
        qs = qs.filter(created_at__gt=flt.since)
    if flt.before:
        c = flt.before
        # Rows order by (created_at, source, id) descending: the rows after the cursor.
        tie = Q(pk__lt=c.id) if source == c.source else Q(pk__isnull=source > c.source)
        qs = qs.filter(Q(created_at__lt=c.created_at) | (Q(created_at=c.created_at) & tie))
    return qs


def union(scope: Scope, flt: FeedFilter):
    """The feed's one query (unsliced), or None when nothing is visible. `masked` is
    True when any part is an authority's."""
    parts = []
    masked = False
    for source, qs, part_masked in _bases(scope):
        qs = _filtered(source, qs, flt)
        if qs is None:
            continue
        masked = masked or part_masked
        parts.append(_columns(source, qs.order_by(), part_masked))
    if not parts:
        return None, masked
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-f_created_at", "-f_source", "-f_id"), masked


def feed_page(scope: Scope, flt: FeedFilter, *, size: int = PAGE_SIZE) -> Page:
    """One page of the feed: the union, then the page's site and assignee names (3
    queries; 0 when the scope sees no alert table)."""
    qs, masked = union(scope, flt)
    if qs is None:
        return Page(rows=[], has_more=False, masked=masked)
    raw = list(qs[: size + 1])
    has_more = len(raw) > size
    raw = raw[:size]
    rows = [{name: row[alias] for name, alias in _ALIASES.items()} for row in raw]
    # The ids come from the scoped rows above: reading their names reveals nothing new.
    site_ids = {row["site_id"] for row in rows}
    sites = dict(Site.all_tenants.filter(pk__in=site_ids).values_list("id", "name")) if rows else {}
    user_ids = {row["assigned_to_id"] for row in rows if row["assigned_to_id"]}
    names = {}
    if user_ids:
        names = {
            pk: display or username
            for pk, display, username in User.objects.filter(pk__in=user_ids).values_list(
                "id", "display_name", "username"
            )
        }
    for row in rows:
        row["key"] = f"{row['source']}-{row['id']}"
        row["kind_label"] = str(KINDS.get(f"{row['source']}:{row['kind']}", row["kind"]))
        row["source_label"] = str(SOURCE_LABELS[row["source"]])
        row["site_name"] = sites.get(row["site_id"], "")
        row["assigned_to_name"] = names.get(row["assigned_to_id"], "")
        row["is_new"] = bool(flt.since and row["created_at"] > flt.since)
    newest = max((row["created_at"] for row in rows), default=None)
    if flt.since and (newest is None or newest < flt.since):
        newest = flt.since
    last = rows[-1] if rows and has_more else None
    return Page(
        rows=rows,
        has_more=has_more,
        masked=masked,
        newest=newest,
        next_before=str(Cursor(last["created_at"], last["source"], last["id"])) if last else "",
        sites=sites,
    )


def open_counts(scope: Scope) -> list[dict]:
    """Open alerts per kind over the scope: one UNION of grouped counts. Each entry:
    key ("source:kind"), label, count; every kind the scope can see is listed (0s too)."""
    parts = []
    visible_sources = []
    for source, qs, _masked in _bases(scope):
        qs = qs.filter(acknowledged_at__isnull=True).order_by()
        if source not in visible_sources:
            visible_sources.append(source)
        if source == "sanitation":
            grouped = qs.annotate(
                f_source=Value(source, output_field=CharField()),
                f_kind=Value(OVERDUE_KIND, output_field=CharField()),
            ).values("f_source", "f_kind")
        else:
            grouped = qs.annotate(
                f_source=Value(source, output_field=CharField()), f_kind=F("kind")
            ).values("f_source", "f_kind")
        parts.append(
            grouped.annotate(f_n=Count("id")).values("f_source", "f_kind", "f_n").order_by()
        )
    counts: dict[str, int] = {}
    if parts:
        combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for row in combined.order_by():
            key = f"{row['f_source']}:{row['f_kind']}"
            counts[key] = counts.get(key, 0) + row["f_n"]
    return [
        {"key": key, "label": label, "count": counts.get(key, 0)}
        for key, label in KINDS.items()
        if key.split(":", 1)[0] in visible_sources
    ]


def filter_choices(scope: Scope) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """What the page's site and division pickers offer: the sites the scope watches
    (a company user's through `for_scope`, an authority's those under its division
    codes) as (id, name), and the districts and streets they lie in (an authority's
    own divisions too, and nothing above them) as (code, label). Two queries, three
    for a user with both kinds of grant; the query parameters stay `site` and
    `district`, so links and the API read them as before."""
    rows: dict[int, tuple[str, str]] = {}
    command = scope.for_perm(COMMAND_PERM)
    if any(g.company_id is not None for g in command.grants):
        for pk, name, code in (
            Site.objects.for_scope(command).order_by().values_list("id", "name", "community__code")
        ):
            rows[pk] = (name, code)
    codes = authority_codes(scope)
    if codes:
        # An authority watches its divisions' sites across companies (as the feed does).
        for pk, name, code in (
            Site.all_tenants.filter(division_q(codes, "community__code"))
            .order_by()
            .values_list("id", "name", "community__code")
        ):
            rows[pk] = (name, code)
    sites = sorted(((pk, name) for pk, (name, _code) in rows.items()), key=lambda s: (s[1], s[0]))
    wanted = {code[:length] for _name, code in rows.values() for length in (6, 9) if code}
    wanted |= set(codes)
    if codes and not any(g.company_id is not None for g in command.grants):
        wanted = {code for code in wanted if any(code.startswith(own) for own in codes)}
    if not wanted:
        return sites, []
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "name"))
    divisions = []
    for code in sorted(names):
        parent = names.get(code[:6]) if len(code) > 6 else None
        label = f"{parent} · {names[code]}" if parent else names[code]
        divisions.append((code, label))
    return sites, divisions
