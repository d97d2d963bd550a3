"""Bench: importing a 10,000-row resident workbook (1,000 with --quick).

Builds a throwaway company with one site and enough households, writes a valid
workbook, and times the import task's body end to end (reading, checking every
row, sealing, the all-or-nothing insert, progress and audit). The limit is the
raw driver inserting the same sealed rows with executemany on its own connection.
Three runs (--runs), each in a throwaway company of its own; every figure is
{"median", "min", "max", "runs"}, the ratio of the medians. Everything created is
deleted afterwards. The last line printed is JSON:

    {"rows": 10000, "import_s": {…}, "raw_insert_s": {…}, "ratio": …, "db": "sqlite"}
"""

from __future__ import annotations

import argparse
import random
import uuid
from pathlib import Path

from _setup import django_setup, log

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文"


def workbook(path: Path, households: list, rows: int, rng: random.Random) -> None:
    """A valid file in the template's layout: unique IDs and phones, rooms that exist."""
    from openpyxl import Workbook

    from firstline.core.personal.identity import id_check_char
    from firstline.estates.services.importing import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append([c.header for c in COLUMNS])
    relations = ("业主", "租户", "家属")
    for n in range(rows):
        household = households[n % len(households)]
        year = 1930 + n % 90
        # Region digits and sequence number together make each ID unique up to 100,000 rows.
        first17 = f"4201{n // 1000 % 100:02d}{year}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        flags = ["是" if rng.random() < 0.05 else "否" for _ in range(4)]
        ws.append(
            [
                household.building.name,
                household.unit,
                household.room,
                name,
                f"13{n:09d}",
                first17 + id_check_char(first17),
                year,
                relations[n % 3],
                *flags,
            ]
        )
    wb.save(path)


def run(rows: int, runs: int) -> dict:
    from _setup import db_vendor, spread, throwaway_company, throwaway_user

    results = []
    for n in range(runs):
        # A company each: the raw insert repeats the run's people, whom a second import
        # into the same company would refuse as already registered.
        with throwaway_company() as company:
            user = throwaway_user(company, role="company_admin")
            results.append(one_run(company, user, rows, n))
        log(f"run {n + 1}: throwaway company, site, user and rows deleted")
    vendor = db_vendor()
    return {
        "rows": rows,
        "runs": runs,
        "import_s": spread([r[0] for r in results]),
        "import_cpu_s": spread([r[1] for r in results]),
        "raw_insert_s": spread([r[2] for r in results]),
        "ratio": round(
            spread([r[0] for r in results])["median"] / spread([r[2] for r in results])["median"],
            2,
        ),
        "db": vendor,
    }


def one_run(company, user, rows: int, n: int) -> tuple[float, float, float]:
    """One import into a new site, then the raw driver inserting the same sealed rows:
    (import s, its CPU s, raw s)."""
    from _setup import raw_executemany, stored_rows, throwaway_site, timer

    from firstline.core.models import TaskProgress
    from firstline.core.progress import progress_start
    from firstline.estates.models import Resident
    from firstline.estates.tasks import IMPORT_KIND, import_residents, upload_dir

    site, households = throwaway_site(
        company, name=f"基准测试小区{n + 1}", buildings=10, units=2, rooms=max(1, rows // 100)
    )
    upload_dir().mkdir(parents=True, exist_ok=True)
    path = upload_dir() / f"{uuid.uuid4()}.xlsx"
    with timer() as generated:
        workbook(path, households, rows, random.Random(2020 + n))
    log(f"{rows:,} rows written in {generated['s']} s ({path.stat().st_size // 1024} KB)")

    progress = progress_start(owner=user, company=company, kind=IMPORT_KIND)
    with timer() as imported:
        outcome = import_residents.call(
            progress_id=str(progress.pk),
            upload_path=str(path),
            site_id=site.pk,
            actor_id=user.pk,
            file_name="bench.xlsx",
        )
    progress.refresh_from_db()
    count = Resident.all_tenants.filter(site=site).count()
    if progress.status != TaskProgress.Status.SUCCEEDED or count != rows:
        raise SystemExit(
            f"bench: the import failed: {outcome} {progress.message} {progress.result}"
        )
    log(
        f"run {n + 1}: imported {count:,} residents in {imported['s']} s"
        f" ({imported['cpu_s']} s of CPU here)"
    )
    columns = [f.column for f in Resident._meta.concrete_fields if not f.primary_key]
    sealed = stored_rows(Resident._meta.db_table, columns, "site_id = %s", [site.pk])
    raw_s = raw_executemany(Resident._meta.db_table, columns, sealed)
    log(f"run {n + 1}: raw executemany of the same {len(sealed):,} sealed rows: {raw_s:.3f} s")
    return imported["s"], imported["cpu_s"], raw_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows instead of 10,000")
    parser.add_argument("--rows", type=int, help="any other number of rows")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (at least 3)")
    args = parser.parse_args()
    django_setup()
    from _setup import emit

    emit(run(args.rows or (1_000 if args.quick else 10_000), max(3, args.runs)))


if __name__ == "__main__":
    main()
