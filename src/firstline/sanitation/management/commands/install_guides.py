"""`manage install_guides`: publish the association's checklist library (one guide per
site type) as version 1 where a type has none yet. Safe to run again."""

from django.core.management.base import BaseCommand

from firstline.sanitation.services.library import library_install


class Command(BaseCommand):
    help = "Install the disinfection checklist library (five site types) as guide v1."

    def handle(self, *args, **options):
        done = library_install()
        if done:
            self.stdout.write(
                "install_guides: published " + ", ".join(f"{t} v{v}" for t, v in done.items())
            )
        else:
            self.stdout.write("install_guides: every site type already has a guide")
