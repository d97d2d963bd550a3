"""``manage load_divisions [PATH ...]``: load administrative divisions from CSV files.

Without a path it loads the shipped Hubei/Wuhan file, so a fresh install gets the
districts, streets and communities that sites and authority scopes point at. Several
files load in one transaction, in the order given, so a later file may use divisions
from an earlier one and a bad file leaves the database as it was.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from firstline.geo.models import Division
from firstline.geo.services import SHIPPED_CSV, ImportResult, divisions_import_csv


class Command(BaseCommand):
    # argparse needs plain strings; output below is translated when the command runs.
    help = "从 CSV 文件导入行政区划（默认：随附的湖北省武汉市数据）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="CSV 文件路径，表头为 code,name,name_en,level,parent_code。",
        )

    def handle(self, *args, paths, **options):
        paths = paths or [str(SHIPPED_CSV)]
        total = ImportResult()
        try:
            with transaction.atomic():
                for path in paths:
                    try:
                        total.merge(divisions_import_csv(path=path))
                    except ValidationError as exc:
                        raise CommandError(
                            "\n".join([f"{path}:", *(str(m) for m in exc.messages)])
                        ) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc

        for level in Division.Level:
            self.stdout.write(
                _("%(level)s：新建 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                % {
                    "level": level.label,
                    "created": total.created[level],
                    "updated": total.updated[level],
                    "unchanged": total.unchanged[level],
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("合计：新建 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                % {
                    "created": total.total_created,
                    "updated": total.total_updated,
                    "unchanged": total.total_unchanged,
                }
            )
        )
