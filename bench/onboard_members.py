"""Bench: the association's onboarding workbook, 846 companies and 2,000 sites.

Writes a valid workbook in the template's layout (sheets 企业 and 项目; 200
companies and 500 sites with --quick), then times the import task's body end to
end as the page runs it: reading both sheets, checking every row (credit-code
check digits, divisions, duplicates in the file and the database), the
all-or-nothing insert of companies, memberships, sites and audit rows, progress.
The limit is the raw driver inserting the same stored rows (companies,
memberships, sites) with executemany on its own connection, after the imported
rows are deleted. --runs runs (3 by default, at least 3): each figure is {"median",
"min", "max", "runs"}, the ratio of the medians; everything is removed afterwards.
The last line printed is JSON:

    {"companies": 846, "sites": 2000, "import_s": {…}, "raw_insert_s": {…}, "ratio": …,
     "runs": 3, "db": …}
"""

from __future__ import annotations

import argparse
import random
import statistics
import uuid
from pathlib import Path

from _setup import django_setup, log

TYPES = ("住宅小区", "住宅小区", "住宅小区", "写字楼", "产业园区", "学校", "医院", "商业综合体")


def credit_codes(count: int, rng: random.Random) -> list[str]:
    from firstline.orgs.validators import credit_code_check_char

    stem = f"93{rng.randrange(10**6):06d}"
    codes = []
    for n in range(count):
        first17 = f"{stem}{n:09d}"
        codes.append(first17 + credit_code_check_char(first17))
    return codes


def workbook(path: Path, codes: list[str], sites: int, division: str, community: str) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业")
    ws.append(["企业名称", "统一社会信用代码", "注册地", "联系人", "联系电话", "地址"])
    for n, code in enumerate(codes):
        ws.append(
            [f"基准物业{n:04d}有限公司", code, division, "王经理", "027-8888" + f"{n:04d}", ""]
        )
    ws = wb.create_sheet("项目")
    ws.append(["企业信用代码", "项目名称", "项目类型", "所属社区", "地址", "项目电话"])
    for n in range(sites):
        ws.append(
            [codes[n % len(codes)], f"基准花园{n:05d}", TYPES[n % len(TYPES)], community, "", ""]
        )
    wb.save(path)


def wuhan_community():
    """A community of the real division tree (loaded if this database has none yet)."""
    from django.core.management import call_command

    from firstline.geo.models import Division

    communities = Division.objects.filter(
        level=Division.Level.COMMUNITY, parent__parent__isnull=False
    ).select_related("parent__parent")
    if not communities.exists():
        log("loading the division tree…")
        call_command("load_divisions", verbosity=0)
    return communities.order_by("code").first()


def one_run(association, user, companies: int, sites: int, rng: random.Random) -> tuple:
    from _setup import raw_executemany, stored_rows, timer
    from django.db import transaction

    from firstline.core.models import AuditEvent, TaskProgress
    from firstline.core.progress import progress_start
    from firstline.estates.models import Site
    from firstline.estates.services.onboarding import IMPORTERS
    from firstline.estates.tasks import run_import, upload_dir
    from firstline.orgs.models import Company, Membership

    community = wuhan_community()
    codes = credit_codes(companies, rng)
    upload_dir().mkdir(parents=True, exist_ok=True)
    path = upload_dir() / f"{uuid.uuid4()}.xlsx"
    workbook(path, codes, sites, community.parent.parent.code, community.code)
    importer = IMPORTERS["members"]
    progress = progress_start(owner=user, company=None, kind=importer.kind)
    with timer() as imported:
        run_import.call(
            progress_id=str(progress.pk),
            upload_path=str(path),
            slug="members",
            target_id=association.pk,
            actor_id=user.pk,
            file_name="bench.xlsx",
        )
    progress.refresh_from_db()
    company_ids = list(Company.objects.filter(credit_code__in=codes).values_list("pk", flat=True))
    made = Site.all_tenants.filter(company_id__in=company_ids).count()
    if progress.status != TaskProgress.Status.SUCCEEDED or made != sites:
        raise SystemExit(f"bench: the import failed: {progress.message} {progress.result}")

    tables = []
    for model in (Company, Membership, Site):
        columns = [f.column for f in model._meta.concrete_fields]
        key = "id" if model is Company else "company_id"
        marks = ", ".join("%s" for _c in company_ids)
        rows = stored_rows(model._meta.db_table, columns, f"{key} IN ({marks})", company_ids)
        tables.append((model._meta.db_table, columns, rows))

    def purge():
        with transaction.atomic():
            AuditEvent.objects.filter(company_id__in=company_ids).delete()
            Site.all_tenants.filter(company_id__in=company_ids).delete()
            Membership.objects.filter(company_id__in=company_ids).delete()
            Company.objects.filter(pk__in=company_ids).delete()

    purge()
    raw_s = sum(raw_executemany(table, columns, rows) for table, columns, rows in tables)
    purge()
    TaskProgress.objects.filter(pk=progress.pk).delete()
    return imported["s"], round(raw_s, 3)


def run(companies: int, sites: int, runs: int) -> dict:
    from _setup import db_vendor, spread

    from firstline.orgs.models import Association, RoleAssignment, User

    association = Association.objects.create(name=f"基准协会-{uuid.uuid4().hex[:6]}")
    user = User.objects.create_user(username=f"bench-{uuid.uuid4().hex[:10]}", password=None)
    RoleAssignment.objects.create(user=user, role="association_admin", association=association)
    rng = random.Random(2020)
    imports, raws = [], []
    try:
        for n in range(runs):
            import_s, raw_s = one_run(association, user, companies, sites, rng)
            log(f"run {n + 1}: import {import_s} s, raw executemany of the same rows {raw_s} s")
            imports.append(import_s)
            raws.append(raw_s)
    finally:
        user.delete()
        association.delete()
    return {
        "companies": companies,
        "sites": sites,
        "import_s": spread(imports),
        "raw_insert_s": spread(raws),
        "ratio": round(statistics.median(imports) / statistics.median(raws), 2),
        "runs": runs,
        "db": db_vendor(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 companies, 500 sites")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    django_setup()
    from _setup import emit

    companies, sites = (200, 500) if args.quick else (846, 2_000)
    emit(run(companies, sites, args.runs))


if __name__ == "__main__":
    main()
