"""Where `Model.all_tenants` (the manager that reads across every tenant) may appear.

Pages, API endpoints, forms and selectors read through `Model.objects.for_scope(scope)`
(docs/architecture.md, "Tenancy: fail closed"). `all_tenants` is for system jobs and
for the few reads that cross tenants by design; every module that uses it is either in
a place that is a system job by its nature (migrations, management commands, the demo
scenario, the test world, tests) or named below with the reason it was let in. A new
use anywhere else fails here, naming the file and line: make it a scoped read, or add
the module with its reason (a reviewer reads this list).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "firstline"

# Directories whose modules are system jobs or tests by their nature.
ANYWHERE_UNDER = {"migrations", "management", "tests"}
# Top-level packages of the same kind: the demo world generator and the test world.
WHOLE_PACKAGES = {"scenario", "testing"}
# The definitions themselves.
DEFINITIONS = {"core/models.py", "core/tenancy.py"}

# Reviewed: every other module that uses `all_tenants`, and why.
ALLOWED = {
    # --- system jobs: periodic ticks, purges, daily checks -----------------------------
    "access/services/retention.py": "the gate's retention purge (a periodic job, every site)",
    "health/services/purge.py": "the health data retention purge (a periodic job)",
    "health/services/daily.py": "the per-site daily health counts the tick writes for all sites",
    "health/services/screening.py": "set-based re-screening of every current declaration (tick)",
    "sanitation/services/generator.py": "the daily task generator over every plan entry (tick)",
    "sanitation/services/overdue.py": "overdue detection over every site's tasks (tick)",
    "reports/services/daily.py": "the prefill tick of every site's drafts, and submission",
    "reports/services/webhooks.py": "webhook deliveries sent and retried by the worker",
    "reports/selectors/prefill.py": "the prefill's figures for sites the tick or submission chose",
    "reports/tasks.py": "the reports tick: counts missing reports of every site",
    "supplies/tasks.py": "the ledger's daily self-check of every association's chain",
    "notices/services/urgent.py": "an urgent notice's text messages: phones at reached sites",
    "supplies/selectors/stock.py": "site_stock: the prefill's stock figures (reports/prefill)",
    # --- the gate's device path: a device has no user scope, it acts for its site -----
    "access/services/devices.py": "device registry and token authentication (no user scope)",
    "access/services/fastpath.py": "the gate-event hot path, for the site the device serves",
    "access/services/gate.py": "gate decisions, site keys, the device path's site_* reads",
    # --- writes: services lock, update and insert rows the caller read via its scope ----
    "access/services/administration.py": "checkpoints, building passes, visitors, deliveries",
    "access/services/monitor.py": "conditional update of a follow-up the page read in scope",
    "core/services.py": "alert_acknowledge: conditional update of an alert read in scope",
    "estates/services/importing.py": "resident import: bulk insert, duplicate checks (company)",
    "estates/services/records.py": "uniqueness checks within the company on resident writes",
    "estates/services/rooms.py": "the rooms of the site an import writes to: index, bulk insert",
    "estates/services/onboarding/members.py": "members import: site names of the companies "
    "named, bulk insert of the sites",
    "estates/services/onboarding/staff.py": "staff import: phones on the site's staff, insert",
    "health/services/alerts.py": "alerts_raise: insert ignoring an alert already raised",
    "health/services/declarations.py": "consent and submission: company config, row locks",
    "health/services/declarations_import.py": "import: residents of the site being imported to",
    "health/services/isolation.py": "open/extend/release: facility capacity locks, checks",
    "health/services/support.py": "support requests: insert (resident's own or staff's)",
    "health/services/vulnerable.py": "vulnerable-resident checks: insert, last check",
    "health/services/worklist.py": "worklist writes: lock the item, record the call",
    "reports/services/command.py": "command centre: conditional update of an assigned alert",
    "sanitation/services/completion.py": "task completion (tap, device run): idempotent updates",
    "sanitation/services/guides.py": "company overrides of a guide: lock, update, delete",
    "sanitation/services/plans.py": "a site's areas and plan: set-based apply with locks",
    "supplies/services/allocation.py": "the planner: member companies' need lines, shipments",
    "supplies/services/donations.py": "donations: association rows, ledger head lock",
    "supplies/services/ledger.py": "the ledger: chain head, balances, verify and reconcile",
    "supplies/services/locations.py": "ledger locations made on first use (get_or_create)",
    "supplies/services/needs.py": "needs: the live figures of a place, line state updates",
    "supplies/services/shipments.py": "dispatch, receipt, use: locks and conditional updates",
    "notices/services/notices.py": "drafts' locks; the sites a notice reaches (sender-bounded)",
    "notices/services/reading.py": "a read receipt inserted once, for a notice read in scope",
    # --- reads across tenants by design (DESIGN.md), in functions that say so ----------
    "supplies/selectors/public.py": "the public donation ledger at /ledger/: no login",
    "supplies/selectors/opendata.py": "the public ledger's open-data files: no login",
    "supplies/selectors/coordination.py": "member_sites_across_companies: directed-gift choice",
    "health/selectors.py": "the authority's flagged cases by division, masked and logged",
    "reports/selectors/rollups.py": "authority roll-ups by division; association aggregates",
    "reports/selectors/charts.py": "authority and association 30-day charts (counts only)",
    "reports/selectors/feed.py": "the authority's alert feed by division (messages masked)",
    "estates/selectors.py": "members registry site counts; duplicate ID within a company",
    "notices/selectors/targets.py": "target_sites_across_companies: association/authority sites",
    "notices/selectors/figures.py": "a notice's audience and receipts where it reached (counts)",
    # --- surveys (issue #19): the association's surveys and their responses -------------
    "surveys/services/surveys.py": "survey writes: questions of a survey read in scope, locks",
    "surveys/services/authoring.py": "a draft's question writes, called by scoped views with "
    "the survey found in scope: the survey locked, its questions and whether it has answers",
    "surveys/services/responses.py": "a response insert decided by its unique constraints; the "
    "public page's phone check (digest only) and the respondent's site's size band",
    "surveys/selectors/public.py": "the owners' public link (no sign-in by design): an open "
    "owners' survey by its secret token, its questions, the signed site token's site; "
    "the research group's per-site links and QR codes: member companies' site names only",
    # --- volunteers (issue #20): sign-up, duty, support tasks, staff safety ---------------
    "volunteers/services/people.py": "sign-up's duplicate ID check in the association; "
    "vetting, insurance and team writes lock a volunteer or team read in scope",
    "volunteers/services/duty.py": "a scan: locks the caller's own deployment, its open "
    "attendance, shift and today's check; a certificate sums the volunteer's own hours",
    "volunteers/services/support.py": "task ready/handover lock a task read in scope (or by "
    "its handover token); overdue alerts over every site's tasks (the tick)",
    "volunteers/services/safety.py": "a red check takes the person's shifts off; follow-up "
    "and infection report lock or upsert a row of a site read in scope",
    "volunteers/selectors/public.py": "the receiving party's handover page (no sign-in by "
    "design): one task by its secret token, or its number and six-digit code",
    # --- resumption (issue #21): offices and shops back at work ----------------------------
    "resumption/services/tenants.py": "a tenant registered on a building read in scope: the "
    "building's rooms, uniqueness of unit and credit code within the company",
    "resumption/services/applications.py": "an application read in scope: its row lock, the "
    "tenant's newest application, the passes of its unit revoked on suspension",
    "resumption/services/staff.py": "a tenant read in scope: its unit's residents and passes, "
    "the company's ID numbers (duplicates), its row lock while passes are issued",
    "resumption/selectors/figures.py": "the tenant list's subqueries (newest application, "
    "staff count) correlated to the tenants the list read in scope",
    # --- consultations (issue #21): questions, the desk, the SLA tick ---------------------
    "consultations/services/threads.py": "ask, assign, reply, resolve and close lock a "
    "consultation read in scope; its assignments and conflicts checked within it",
    "consultations/services/pool.py": "categories made per association; a category or "
    "expert read in the desk's scope locked for its update",
    "consultations/services/sla.py": "the SLA tick: overdue flags over every association's "
    "consultations, reminders to their desks and assigned experts",
    "consultations/services/faq.py": "an FAQ draft of a consultation the desk read in scope: "
    "its replies and experts' names (to anonymise), the draft locked to publish",
    "consultations/services/sessions.py": "a session read in scope locked to count its places; "
    "attendance marks that session's registrations",
    "training/services/enrolment.py": "enrolments of staff the caller read in scope: "
    "duplicate checks within the company, insert with their progress rows",
    "training/services/learning.py": "a learner's progress row read in scope, locked; "
    "its enrolment's rows checked and the certificate issued",
    "training/services/sessions.py": "a session locked to count its seats across companies; "
    "the reminder tick over every registration",
    "training/services/certificates.py": "the public verification of a certificate by its "
    "code (across companies by design; the name masked)",
    "training/services/courses.py": "the association's catalogue: a lesson's progress rows "
    "counted before deleting it, a session's registrations counted to keep the cap and "
    "removed when it is cancelled (every company's, by design)",
    "market/services/catalogue.py": "the association's suppliers and products: inserts",
    "market/services/campaigns.py": "a campaign read in scope locked to open or close; the "
    "close tick over every association's campaigns; purchase orders added up from its orders",
    "market/services/orders.py": "an order placed at a site read in scope: campaign and product "
    "rows locked in id order, stock moved with F()",
    "market/services/purchasing.py": "a purchase order or order read in scope locked to "
    "confirm, receive or hand over; the shortfall shared over that site's order lines",
    "market/selectors/impact.py": "impact_across_tenants: the public impact page's sums "
    "across every company by design (no household rows, small cells suppressed)",
    "market/selectors/catalogue.py": "campaign_sites_choosable: the association desk picks "
    "any member company's sites for its campaign (by membership, sites only)",
    # --- jobs (issue #22): the online job fair ----------------------------------------------
    "jobs/services/fairs.py": "a fair, booth or position read in scope locked for its update; "
    "the public page's visitor mark (no scope: no login by design)",
    "jobs/services/graduates.py": "the caller's own profile locked for its update",
    "jobs/services/applications.py": "an application or position read in scope: the graduate's "
    "row lock for the daily limit, the position's free slots and booked interviews",
    "jobs/selectors/people.py": "the public fair page (no login by design): a published fair, "
    "its verified booths and their open positions",
    "jobs/selectors/figures.py": "one fair's counts, the fair read in the desk's scope or "
    "published (the public page): aggregates only",
}


def _relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _exempt(rel: str) -> bool:
    parts = rel.split("/")
    return (
        bool(ANYWHERE_UNDER & set(parts[:-1])) or parts[0] in WHOLE_PACKAGES or rel in DEFINITIONS
    )


def _uses() -> dict[str, list[int]]:
    """{module: [line, …]} of every `<anything>.all_tenants` in the source."""
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 100, f"the walk found {len(files)} files under {SRC}"
    found: dict[str, list[int]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lines = sorted(
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "all_tenants"
        )
        if lines:
            found[_relative(path)] = lines
    return found


USES = _uses()


def test_the_walk_finds_the_uses():
    # The scenario and the test world cross tenants on purpose: if the walk sees none
    # of their uses, it is looking in the wrong place and the checks below prove nothing.
    assert any(rel.startswith("scenario/") for rel in USES), sorted(USES)
    assert any(rel.startswith("testing/") for rel in USES), sorted(USES)


def test_all_tenants_only_in_system_jobs_and_reviewed_modules():
    offences = [
        f"src/firstline/{rel}:{line}"
        for rel, lines in sorted(USES.items())
        if not _exempt(rel) and rel not in ALLOWED
        for line in lines
    ]
    assert not offences, (
        "`all_tenants` outside system jobs (read through `Model.objects.for_scope(scope)`, "
        "or add the module to ALLOWED with its reason):\n" + "\n".join(offences)
    )


def test_every_allowed_module_still_needs_it():
    stale = sorted(rel for rel in ALLOWED if rel not in USES)
    assert not stale, f"no longer use `all_tenants`; take them off ALLOWED: {stale}"


def test_allowed_modules_are_not_exempt_anyway():
    assert not [rel for rel in ALLOWED if _exempt(rel)]
