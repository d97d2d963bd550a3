"""Bench: a survey of 1,000,000 responses (20,000 with --quick): the CSV export and
a crosstab, against the raw database.

Uploads the demo's company survey (25 questions, XLSForm through pyxform) for a
throwaway association, loads the responses with the raw driver (`copy_rows`:
COPY on PostgreSQL), then times

- export_csv_s: the export view's streamed CSV (`surveys.services.exporting`,
  codes), every byte consumed as a client would, through Django's server-side
  cursor in chunks;
- raw_copy_s: the same columns by the raw driver alone on its own connection:
  `COPY (SELECT …) TO STDOUT WITH CSV` on PostgreSQL, a plain SELECT read to the
  end on SQLite;
- crosstab_ms: results.crosstab of two choice questions over all the responses;
- peak_rss_mb: this process's peak resident memory (resource.getrusage), which
  stays flat when the export streams;
- export_sav_s: the SPSS .sav of the same responses, written as the background
  export writes it (`exporting.write_file`: pyreadstat writes the dictionary, the
  rows are appended in SPSS's row compression chunk by chunk from the server-side
  cursor, services/spss.py); it runs last, and sav_peak_rss_mb is the process's
  peak after it: flat too (529.8 MB at 1,000,000 rows when the whole frame went to
  pyreadstat, 2026-12-07).

Each is timed --runs times (3 by default): every timed figure is {"median", "min",
"max", "runs"}, and export_ratio is the CSV export's median over the raw COPY's.
Everything is removed afterwards. The last line printed is JSON:

    {"responses": 1000000, "export_csv_s": {…}, "raw_copy_s": {…}, "export_ratio": …,
     "crosstab_ms": {…}, "peak_rss_mb": …, "export_sav_s": {…}, "sav_peak_rss_mb": …,
     "db": …}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time

from _setup import django_setup, emit, log


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 responses")
    parser.add_argument("--responses", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (at least 3)")
    args = parser.parse_args()
    count = args.responses or (20_000 if args.quick else 1_000_000)
    runs = max(3, args.runs)

    django_setup()
    from _setup import copy_rows, db_vendor, spread
    from django.db import connection
    from django.utils import timezone

    from firstline.orgs.models import Association
    from firstline.scenario.surveys import company_answers, company_workbook
    from firstline.surveys.models import Question, Response, Survey
    from firstline.surveys.selectors import results
    from firstline.surveys.services import exporting, surveys

    association = Association.objects.create(name="基准测试协会", short_name="基准")
    try:
        survey = surveys.survey_create(
            actor=None,
            association_id=association.pk,
            data=company_workbook(),
            filename="bench.xlsx",
            audience=Survey.Audience.COMPANIES,
        )
        surveys.survey_open(actor=None, survey=survey)
        questions = [q for q in Question.all_tenants.filter(survey=survey).order_by("position")]
        rng = random.Random(19)
        pool = [json.dumps(company_answers(rng), ensure_ascii=False) for _ in range(5_000)]
        districts = ("420102", "420103", "420104", "420105", "420106", "420107")
        bands = ("small", "medium", "large")
        now = timezone.now()
        columns = (
            "association_id",
            "survey_id",
            "phone_digest",
            "answers",
            "district_code",
            "site_type",
            "size_band",
            "submitted_at",
        )

        def rows():
            for n in range(count):
                yield (
                    association.pk,
                    survey.pk,
                    "",
                    pool[n % len(pool)],
                    districts[n % len(districts)],
                    "residential",
                    bands[n % 3],
                    now,
                )

        log(f"loading {count:,} responses…")
        start = time.perf_counter()
        copy_rows(Response._meta.db_table, columns, rows())
        log(f"loaded in {time.perf_counter() - start:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {Response._meta.db_table}")

        responses = Response.all_tenants.filter(survey=survey)
        asked = [q for q in questions if q.type != Question.Type.NOTE]

        exports, raws = [], []
        for n in range(runs):
            log(f"exporting CSV, run {n + 1}…")
            start = time.perf_counter()
            streamed = exporting.responses_csv(
                actor=None,
                survey=survey,
                responses=responses,
                questions=asked,
                labels=False,
                filters={},
            )
            size = 0
            lines = 0
            for chunk in streamed.streaming_content:
                size += len(chunk)
                lines += chunk.count(b"\n")
            exports.append(time.perf_counter() - start)
            assert lines == count + 1, (lines, count)
            log(f"CSV {size / 1e6:.1f} MB in {exports[-1]:.2f} s")

            raws.append(raw_copy(survey.pk, asked))
            log(f"raw in {raws[-1]:.2f} s")

        by_name = {q.name: q for q in questions}
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            table = results.crosstab(responses, by_name["revenue"], by_name["cash"], research=True)
            timings.append(time.perf_counter() - start)
        assert table.total == count
        csv_peak = peak_rss_mb()

        savs = []
        for n in range(runs):
            log(f"exporting SPSS .sav, run {n + 1}…")
            with tempfile.NamedTemporaryFile(suffix=".sav") as out:
                start = time.perf_counter()
                exporting.write_file(
                    out, "sav", survey=survey, responses=responses, questions=asked, labels=False
                )
                savs.append(time.perf_counter() - start)
                sav_mb = os.path.getsize(out.name) / 1e6
            log(f"SAV {sav_mb:.1f} MB in {savs[-1]:.2f} s")
        export_s = spread(exports)
        raw_s = spread(raws)
        emit(
            {
                "responses": count,
                "runs": runs,
                "export_csv_s": export_s,
                "raw_copy_s": raw_s,
                "export_ratio": round(export_s["median"] / raw_s["median"], 2),
                "crosstab_ms": spread([t * 1000 for t in timings], 1),
                "peak_rss_mb": csv_peak,
                "csv_mb": round(size / 1e6, 1),
                "export_sav_s": spread(savs),
                "sav_peak_rss_mb": peak_rss_mb(),
                "sav_mb": round(sav_mb, 1),
                "db": db_vendor(),
            }
        )
    finally:
        cleanup(association.pk)


def raw_copy(survey_id: int, questions) -> float:
    """The export's columns by the raw driver alone, on its own connection."""
    from django.db import connection

    settings = connection.settings_dict
    table = "surveys_response"
    if connection.vendor == "postgresql":
        import psycopg

        cols = ", ".join(
            ["id", "submitted_at", "district_code", "site_type", "size_band"]
            + [f"answers->>'{q.name}'" for q in questions]
        )
        sql = (
            f"COPY (SELECT {cols} FROM {table} WHERE survey_id = {int(survey_id)} "
            "ORDER BY id) TO STDOUT WITH CSV HEADER"
        )
        raw = psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        )
        try:
            start = time.perf_counter()
            size = 0
            with raw.cursor() as cur, cur.copy(sql) as copy:
                for block in copy:
                    size += len(block)
            return time.perf_counter() - start
        finally:
            raw.close()
    import sqlite3

    cols = ", ".join(
        ["id", "submitted_at", "district_code", "site_type", "size_band"]
        + [f"json_extract(answers, '$.{q.name}')" for q in questions]
    )
    raw = sqlite3.connect(settings["NAME"])
    try:
        start = time.perf_counter()
        cur = raw.execute(
            f"SELECT {cols} FROM {table} WHERE survey_id = ? ORDER BY id", [survey_id]
        )
        while cur.fetchmany(5_000):
            pass
        return time.perf_counter() - start
    finally:
        raw.close()


def cleanup(association_id: int) -> None:
    from django.db import connection, transaction

    from firstline.core.models import AuditEvent
    from firstline.orgs.models import Association
    from firstline.surveys.models import Question, Response, Survey

    with transaction.atomic():
        ids = list(
            Survey.all_tenants.filter(association_id=association_id).values_list("id", flat=True)
        )
        with connection.cursor() as cur:
            for survey_id in ids:
                cur.execute(
                    f"DELETE FROM {Response._meta.db_table} WHERE survey_id = %s", [survey_id]
                )
        Question.all_tenants.filter(survey_id__in=ids).delete()
        AuditEvent.objects.filter(
            object_type="surveys.survey", object_id__in=[str(i) for i in ids]
        ).delete()
        Survey.all_tenants.filter(pk__in=ids).delete()
        Association.objects.filter(pk=association_id).delete()


if __name__ == "__main__":
    main()
