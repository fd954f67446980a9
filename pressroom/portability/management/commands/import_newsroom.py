from django.core.management.base import BaseCommand, CommandError

from pressroom.portability import archive as portability

from ._progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Import a ZIP made by export_newsroom into this empty installation, keeping ids, slugs, file "
        "names and so every address. Run migrate first; the import refuses an installation with content."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The ZIP file made by export_newsroom")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the whole archive: import it in a transaction that is rolled back, write no files.",
        )

    def handle(self, *args, archive, dry_run, **options):
        progress = ProgressBar(self.stdout)
        try:
            result = portability.import_newsroom(archive, dry_run=dry_run, progress=progress)
        except portability.PortabilityError as exc:
            progress.finish()
            raise CommandError(str(exc)) from None
        progress.finish()
        summary = portability.describe(result)
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(f"Dry run: {summary} would be imported. Nothing was written.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {summary}."))
