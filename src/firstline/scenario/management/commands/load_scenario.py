"""`manage load_scenario --scale demo|wuhan --seed N [--reset]`: build the demo world.

Thin on purpose: the builder lives in `firstline.scenario`, so tests build worlds
without going through argument parsing.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from firstline.scenario.world import SCALES, build_world, reset_world, world_exists


class Command(BaseCommand):
    help = "Build the demo world (associations, companies, sites, residents, staff, demo logins)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--reset", action="store_true", help="delete the existing world first")

    def handle(self, *args, scale: str, seed: int, reset: bool, **options):
        if reset:
            started = time.perf_counter()
            deleted = reset_world()
            self.stdout.write(
                f"reset: deleted {sum(deleted.values()):,} rows from {len(deleted)} tables "
                f"in {time.perf_counter() - started:.1f} s"
            )
        elif world_exists():
            # Exit code 2, like a usage error: nothing was changed.
            raise CommandError(
                "This database already holds companies; "
                "run with --reset to delete them and build a new world.",
                returncode=2,
            )
        size = SCALES[scale]
        self.stdout.write(
            f"building the {scale} world (seed {seed}): {size.companies:,} companies, "
            f"{size.sites:,} sites, {size.residents:,} residents"
        )
        report = build_world(scale=scale, seed=seed, log=self.stdout.write)
        self.stdout.write("")
        self.stdout.write(f"{'step':<14} {'seconds':>8}  rows")
        for step in report.steps:
            rows = ", ".join(f"{name} {count:,}" for name, count in step.rows.items())
            self.stdout.write(f"{step.name:<14} {step.seconds:8.1f}  {rows}")
        self.stdout.write(f"{'total':<14} {report.seconds:8.1f}")
        self.stdout.write(self.style.SUCCESS(f"demo logins written to {report.accounts_path}"))
