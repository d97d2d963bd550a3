"""Honest reading figures of the public site: a view is counted once per reader, per
page, per day; a download once per reader, per document, per day. Crawlers count
nothing. Counting never makes a page wait on the database.

Who is "a reader" (`reader_key`). No cookie and no stored address: the key is
HMAC-SHA256 of the client address, the User-Agent and the Accept-Language, keyed with a
key derived from settings.SECRET_KEY and the local date, truncated to 32 hex digits.
The address and the browser strings are used for that hash in memory and nowhere
else: they are never stored, never logged, never put in the buffer.

What that protects, honestly:
- A copy of the database (a backup, a read replica, a report export) holds only
  32-hex keys, which cannot be turned back into addresses without SECRET_KEY.
- The key changes at local midnight, so one reader's keys on two days do not match:
  nobody can follow a reader from day to day through the marks, even with the
  database in hand. And the marks themselves are deleted the next night
  (`reading_fold`), leaving only counts per page, day and channel.
- What it does not protect: someone who holds SECRET_KEY and a day's marks can test
  guesses. IPv4 has 2³² addresses and browsers' strings are few, so an address that
  read a page that day can be confirmed by brute force. The derived key exists only
  in memory, but anyone with the secret can derive any day's key again, yesterday's
  included. The defence is that the marks live only until the next night's fold;
  after that there is nothing to test guesses against. (A random per-day key kept
  only in memory and shared between processes would close even that; it would need
  a shared store, and SECRET_KEY is already the secret the deployment guards.)
- Readers behind one address with the same browser (a company's office behind NAT,
  a WeChat in-app browser of one model) count as one: the figures err low, never high.

Client address: `REMOTE_ADDR`, and only that. Behind a reverse proxy or load balancer
it is the proxy's address, so the deployment must set REMOTE_ADDR from the client's
address in its proxy configuration (nginx `real_ip_header X-Forwarded-For` with
`set_real_ip_from` naming the proxies; gunicorn's `--forwarded-allow-ips`). We do not
read X-Forwarded-For ourselves: any client can send one, and trusting it blindly
would let a single client be counted as any number of readers.

Channel (`channel_of`): `?src=poster` (the lobby posters' QR codes link so) → poster;
`?src=wechat`, or the `from=singlemessage|groupmessage|timeline` that WeChat adds
to a shared link → wechat; anything else → web. A reader is counted once a page a
day whichever way they came; the channel is the one of their first view that day.

Not counted (`countable`): anything but GET (HEAD, OPTIONS, a form's POST); no
User-Agent; a User-Agent of the crawler list (below); a browser's prefetch or
prerender (`Sec-Purpose`/`Purpose: prefetch`: nobody read it yet); a Wagtail preview
(`request.is_preview`; previews and drafts are served by the editor, not through
`wagtail.views.serve`, so the hook never sees them, and live pages only are routed);
a page that did not answer 200, or answered with a view restriction's password or
sign-in prompt (wagtail_hooks.py).
Signed-in people are counted like anyone: association staff and editors reading
their own site are readers too, and each adds at most one view per page per day.
Telling editors apart would mean loading the session and user on every page, a
database round trip that counting must not add.

The crawler list is crawler-user-agents (Martin Monperrus's list of ~1,500 patterns
of bots, crawlers and spiders, Baidu's, Sogou's, Bytedance's among them, released on
PyPI with every change). Matching a User-Agent against it takes ~0.1 ms, so each
distinct User-Agent is matched once per process (an LRU cache).

The buffered writer (`reading_record`, `reading_flush`). A served page only appends
(day, page or document, reader) → channel to an in-process buffer under a lock; the
same reader's ten reloads are one entry. A daemon thread, started on the first
record, flushes the buffer every settings.FIRSTLINE_READING_FLUSH_SECONDS, sooner
when FLUSH_SIZE entries wait, and at process exit (atexit). With the setting at 0
(the tests) each record is flushed at once in the calling thread.

A flush (1) inserts the marks with ON CONFLICT DO NOTHING: the unique constraints of
`ReaderMark` are what make one reader one view; (2) recounts the touched
(page or document, day, channel) figures from the marks. The `ReadingDay` rows are
made if missing, locked in id order, then counted in a later statement, so the last
of several processes flushing at once counts every mark any of them committed: the
figure is exact and a flush repeated changes nothing. A figure never goes down: a
count below the stored one (marks folded already, see below) leaves it.

The fold (`reading_fold`, a daily job, firstline/schedule.py): marks of days before
today are recounted once more (covering a flush that died between its two steps) and
deleted. A mark that reaches the database after its day was folded (a flush held back
by a database outage over midnight) is not added: the figures err low, never high.

The demo's history (`reading_history_seed`) writes `ReadingDay` rows directly.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import math
import os
import threading
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from random import Random

import crawleruseragents
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Page

from firstline.publishing.models import Channel, GuidePage, ReaderMark, ReadingDay

logger = logging.getLogger(__name__)

FLUSH_SIZE = 5_000  # entries waiting that wake the flusher before its period is up
MAX_PENDING = 500_000  # beyond this (the database away for long) new readers are dropped
BATCH = 2_000  # rows per INSERT
UA_CHARS = 512  # a longer User-Agent is cut here (the cache and the key see this much)
SOURCES = {"poster": Channel.POSTER, "wechat": Channel.WECHAT}
WECHAT_SHARES = {"singlemessage", "groupmessage", "timeline"}

# (day, page_id, document_id, reader): one reader of one page or document on one day.
Key = tuple[date, int | None, int | None, str]
# (page_id, document_id, day, channel): one figure of ReadingDay.
Figure = tuple[int | None, int | None, date, str]


# --- who, which way, and whether to count ---------------------------------------------------


@lru_cache(maxsize=8)
def _day_key(secret: str, day: date) -> bytes:
    return hmac.new(
        secret.encode(), f"firstline.publishing.reading:{day.isoformat()}".encode(), "sha256"
    ).digest()


def reader_key(*, address: str, user_agent: str, accept_language: str, day: date) -> str:
    """The reader's key for `day`: 32 hex digits that cannot be traced back (above)."""
    message = "\n".join((address, user_agent[:UA_CHARS], accept_language[:UA_CHARS]))
    digest = hmac.new(
        _day_key(settings.SECRET_KEY, day), message.encode("utf-8", "replace"), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def reader_of(request, day: date) -> str:
    meta = request.META
    return reader_key(
        address=meta.get("REMOTE_ADDR", ""),
        user_agent=meta.get("HTTP_USER_AGENT", ""),
        accept_language=meta.get("HTTP_ACCEPT_LANGUAGE", ""),
        day=day,
    )


def channel_of(request) -> str:
    source = SOURCES.get(request.GET.get("src", "").strip().lower())
    if source:
        return source
    if request.GET.get("from", "") in WECHAT_SHARES:
        return Channel.WECHAT
    return Channel.WEB


@lru_cache(maxsize=4096)
def is_crawler(user_agent: str) -> bool:
    """On the crawler list (crawler-user-agents), matched once per distinct string."""
    return crawleruseragents.is_crawler(user_agent)


def countable(request) -> bool:
    """Whether this request is someone reading (the rules in the module's docstring)."""
    if request.method != "GET" or getattr(request, "is_preview", False):
        return False
    meta = request.META
    user_agent = meta.get("HTTP_USER_AGENT", "").strip()
    if not user_agent:
        return False
    purpose = f"{meta.get('HTTP_SEC_PURPOSE', '')} {meta.get('HTTP_PURPOSE', '')}".lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    return not is_crawler(user_agent[:UA_CHARS])


def reading_view(request, page) -> bool:
    """Count a view of a live page served to `request`, if it is a reader's; no query."""
    if not countable(request):
        return False
    day = timezone.localdate()
    reading_record(
        page_id=page.pk, reader=reader_of(request, day), channel=channel_of(request), day=day
    )
    return True


def reading_download(request, document) -> bool:
    """Count a download of a document served to `request`, if it is a reader's; no query."""
    if not countable(request):
        return False
    day = timezone.localdate()
    reading_record(
        document_id=document.pk,
        reader=reader_of(request, day),
        channel=channel_of(request),
        day=day,
    )
    return True


# --- the buffer -------------------------------------------------------------------------------


class _Buffer:
    """What waits to be written, per process: reader keys only, never an address."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[Key, str] = {}
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.dropped = 0

    def add(self, key: Key, channel: str) -> int:
        with self.lock:
            if key not in self.pending:
                if len(self.pending) >= MAX_PENDING:
                    self.dropped += 1
                else:
                    self.pending[key] = channel
            return len(self.pending)

    def take(self) -> dict[Key, str]:
        with self.lock:
            taken, self.pending = self.pending, {}
            return taken

    def put_back(self, items: dict[Key, str]) -> None:
        with self.lock:
            for key, channel in items.items():
                if len(self.pending) >= MAX_PENDING:
                    self.dropped += 1
                else:
                    self.pending.setdefault(key, channel)

    def start(self) -> None:
        """The flusher thread, once per process (again in a forked child)."""
        if self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(
                target=self._run, name="firstline-reading-flush", daemon=True
            )
            self.thread.start()

    def _run(self) -> None:
        while True:
            seconds = settings.FIRSTLINE_READING_FLUSH_SECONDS
            self.wake.wait(seconds if seconds > 0 else 1.0)
            self.wake.clear()
            try:
                close_old_connections()
                reading_flush()
            except Exception:
                logger.exception("reading figures: flush failed; kept for the next one")
            finally:
                close_old_connections()

    def after_fork(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread = None


_buffer = _Buffer()
os.register_at_fork(after_in_child=_buffer.after_fork)


def _flush_at_exit() -> None:
    try:
        reading_flush()
    except Exception:
        logger.exception("reading figures: flush at exit failed; %d lost", len(_buffer.pending))


atexit.register(_flush_at_exit)


def reading_record(
    *,
    page_id: int | None = None,
    document_id: int | None = None,
    reader: str,
    channel: str,
    day: date,
) -> None:
    """Note that `reader` read a page (or downloaded a document) on `day` by
    `channel`. Appends to the process's buffer and returns; the flusher writes it.
    With settings.FIRSTLINE_READING_FLUSH_SECONDS = 0 it is written at once."""
    if (page_id is None) == (document_id is None):
        raise ValueError("a reading is of one page or one document")
    size = _buffer.add((day, page_id, document_id, reader), channel)
    if settings.FIRSTLINE_READING_FLUSH_SECONDS <= 0:
        reading_flush()
        return
    _buffer.start()
    if size >= FLUSH_SIZE:
        _buffer.wake.set()


def reading_pending() -> int:
    """Entries waiting in this process's buffer."""
    return len(_buffer.pending)


def reading_flush() -> int:
    """Write what the buffer holds: the marks, then the figures they touch. Returns
    the number of marks offered (those already stored are skipped by the database).
    On a database error the entries go back into the buffer and the error is raised."""
    items = _buffer.take()
    if not items:
        return 0
    try:
        return _write(items)
    except Exception:
        _buffer.put_back(items)
        raise


def _figure_order(figure: Figure) -> tuple:
    page_id, document_id, day, channel = figure
    return (page_id or 0, document_id or 0, day, channel)


def _write(items: dict[Key, str]) -> int:
    page_ids = {key[1] for key in items if key[1] is not None}
    document_ids = {key[2] for key in items if key[2] is not None}
    # A page or document deleted since it was served: its readings go with it.
    pages = set(Page.objects.filter(pk__in=page_ids).values_list("pk", flat=True))
    documents = set(
        get_document_model().objects.filter(pk__in=document_ids).values_list("pk", flat=True)
    )
    marks = [
        ReaderMark(day=day, page_id=page_id, document_id=document_id, reader=reader, channel=ch)
        for (day, page_id, document_id, reader), ch in sorted(
            items.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2] or 0)
        )
        if (page_id in pages if page_id is not None else document_id in documents)
    ]
    with transaction.atomic():
        ReaderMark.objects.bulk_create(marks, ignore_conflicts=True, batch_size=BATCH)
    _recount({(m.page_id, m.document_id, m.day, m.channel) for m in marks})
    return len(marks)


def _figures_q(figures: Iterable[Figure]) -> Q:
    """A filter that holds at least these figures' rows (and maybe a few more)."""
    figures = list(figures)
    days = {f[2] for f in figures}
    page_ids = {f[0] for f in figures if f[0] is not None}
    document_ids = {f[1] for f in figures if f[1] is not None}
    targets = Q(pk__in=[])
    if page_ids:
        targets |= Q(page_id__in=page_ids, document__isnull=True)
    if document_ids:
        targets |= Q(document_id__in=document_ids, page__isnull=True)
    return Q(day__in=days) & targets


def _recount(figures: set[Figure]) -> int:
    """Set each figure to the count of its marks (never lower), rows locked in a fixed
    order so that concurrent flushes agree. Returns how many figures changed."""
    if not figures:
        return 0
    ordered = sorted(figures, key=_figure_order)
    where = _figures_q(ordered)
    with transaction.atomic():
        ReadingDay.objects.bulk_create(
            [
                ReadingDay(page_id=page_id, document_id=document_id, day=day, channel=channel)
                for page_id, document_id, day, channel in ordered
            ],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        rows = list(ReadingDay.objects.select_for_update().filter(where).order_by("pk"))
        counts = {
            (row["page_id"], row["document_id"], row["day"], row["channel"]): row["n"]
            for row in ReaderMark.objects.filter(where)
            .order_by()
            .values("page_id", "document_id", "day", "channel")
            .annotate(n=Count("pk"))
        }
        changed = []
        for row in rows:
            figure = (row.page_id, row.document_id, row.day, row.channel)
            if figure not in figures:
                continue
            field = "views" if row.page_id is not None else "downloads"
            if counts.get(figure, 0) > getattr(row, field):
                setattr(row, field, counts[figure])
                changed.append(row)
        ReadingDay.objects.bulk_update(changed, ["views", "downloads"], batch_size=BATCH)
        # A row made above for a mark the database refused (the reader was counted
        # already today, by another channel) holds nothing: it goes before commit.
        ReadingDay.objects.filter(where, views=0, downloads=0).delete()
    return len(changed)


# --- the daily fold ----------------------------------------------------------------------------


def reading_fold(*, today: date | None = None) -> dict:
    """Recount the figures of every day before `today` that still has marks, then
    delete those marks: after this only counts remain. Idempotent."""
    today = today or timezone.localdate()
    old = ReaderMark.objects.filter(day__lt=today)
    days = sorted(set(old.order_by().values_list("day", flat=True).distinct()))
    changed = deleted = 0
    for day in days:
        marks = ReaderMark.objects.filter(day=day)
        figures = set(
            marks.order_by().values_list("page_id", "document_id", "day", "channel").distinct()
        )
        changed += _recount(figures)
        deleted += marks.delete()[0]
    return {"days": len(days), "figures_corrected": changed, "marks_deleted": deleted}


# --- the demo's history ------------------------------------------------------------------------

# How much each kind of page is read, relative to a news item.
KIND_WEIGHT = {
    "guidepage": 12.0,
    "guidechapterpage": 5.0,
    "faqpage": 4.0,
    "knowledgehome": 4.0,
    "policypage": 2.0,
    "policyindexpage": 1.5,
    "calltoactionpage": 2.0,
    "topicpage": 1.5,
    "newsindexpage": 1.0,
    "newspage": 1.0,
}
RESIDENTIAL_WEIGHT = 3.0  # residential compounds: most of the members' sites
CHANNEL_SHARE = {Channel.WEB: 0.58, Channel.POSTER: 0.24, Channel.WECHAT: 0.18}
OUTBREAK = date(2020, 1, 20)  # human-to-human transmission announced; reading takes off
PEAK = date(2020, 2, 25)  # closed management at its height, resumption of work beginning


def _day_weight(day: date) -> float:
    """Attention over 2020: little before 20 January, a peak from February to mid-March,
    a long tail after; weekends a little lower."""
    if day < OUTBREAK:
        weight = 0.04
    else:
        spread = 24.0 if day <= PEAK else 34.0
        weight = 0.06 + math.exp(-(((day - PEAK).days / spread) ** 2))
    return weight * (0.85 if day.weekday() >= 5 else 1.0)


def _page_weight(page, residential_paths: Sequence[str]) -> float:
    model = page.specific_class
    weight = KIND_WEIGHT.get(model._meta.model_name if model else "", 1.0)
    if any(page.url_path.startswith(path) for path in residential_paths):
        weight *= RESIDENTIAL_WEIGHT
    return weight


def _allocate(total: int, weights: list[float], rng: Random) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that sum to it
    exactly (rounded at random by the fractions, the difference put on the largest)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = []
    for weight in weights:
        exact = total * weight / whole
        floor = int(exact)
        shares.append(floor + (1 if rng.random() < exact - floor else 0))
    shares[max(range(len(shares)), key=shares.__getitem__)] += total - sum(shares)
    return shares


def _history_rows(
    targets: list[tuple[str, int, float]],
    days: Sequence[date],
    total: int,
    rng: Random,
    *,
    value: str,
) -> list[ReadingDay]:
    """ReadingDay rows for `targets` ((field, id, weight)) over `days`: `total` of
    `value` (views or downloads) in all."""
    cells: list[tuple[str, int, date, str]] = []
    weights: list[float] = []
    day_weights = [_day_weight(day) for day in days]
    for field, target_id, weight in targets:
        mix = {ch: share * rng.uniform(0.7, 1.3) for ch, share in CHANNEL_SHARE.items()}
        for day, day_weight in zip(days, day_weights, strict=True):
            noise = rng.uniform(0.75, 1.25)
            for channel, share in mix.items():
                cells.append((field, target_id, day, channel))
                weights.append(weight * day_weight * noise * share)
    counts = _allocate(total, weights, rng)
    return [
        ReadingDay(**{field: target_id, "day": day, "channel": channel, value: n})
        for (field, target_id, day, channel), n in zip(cells, counts, strict=True)
        if n
    ]


def reading_history_seed(
    *,
    pages: Sequence,
    documents: Sequence,
    days: Sequence[date],
    total_views: int,
    total_downloads: int,
    rng: Random,
) -> dict:
    """Write a plausible history of reading figures (aggregates only: `ReadingDay`
    rows, no marks) for the demo: exactly `total_views` views of `pages` and
    `total_downloads` downloads of `documents` over `days`. Guides are read most,
    residential ones above all; attention peaks in February and March 2020; the web
    brings most readers, then the lobby posters, then WeChat shares. Figures the
    pages and documents had on those days are replaced. Returns the totals written."""
    days = sorted(days)
    if not days:
        return {"views": 0, "downloads": 0, "rows": 0}
    residential_paths = list(
        GuidePage.objects.filter(
            pk__in=[page.pk for page in pages], site_type="residential"
        ).values_list("url_path", flat=True)
    )
    page_targets = [
        ("page_id", page.pk, _page_weight(page, residential_paths) * rng.lognormvariate(0, 0.35))
        for page in pages
    ]
    document_targets = [
        (
            "document_id",
            document.pk,
            (RESIDENTIAL_WEIGHT if "住宅" in document.title else 1.0) * rng.lognormvariate(0, 0.35),
        )
        for document in documents
    ]
    rows = _history_rows(page_targets, days, total_views, rng, value="views")
    rows += _history_rows(document_targets, days, total_downloads, rng, value="downloads")
    with transaction.atomic():
        ReadingDay.objects.filter(
            Q(page_id__in=[p.pk for p in pages]) | Q(document_id__in=[d.pk for d in documents]),
            day__gte=days[0],
            day__lte=days[-1],
        ).delete()
        ReadingDay.objects.bulk_create(rows, batch_size=BATCH)
    return {
        "views": sum(r.views for r in rows),
        "downloads": sum(r.downloads for r in rows),
        "rows": len(rows),
    }


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
