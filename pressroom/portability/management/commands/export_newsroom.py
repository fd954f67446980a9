from django.core.management.base import BaseCommand, CommandError

from pressroom.portability import archive as portability

from ._progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Export the whole newsroom (profile, topics, contacts, releases with their publication history, "
        "attachments and their files) to a ZIP: newsroom.json plus files/. See docs/api.md for the format."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="The ZIP file to write, e.g. newsroom.zip")
        parser.add_argument(
            "--with-subscribers",
            action="store_true",
            help="Include subscribers with their consent records and tokens, and suppressed address hashes. "
            "The archive then holds personal data: store and move it accordingly.",
        )

    def handle(self, *args, output, with_subscribers, **options):
        progress = ProgressBar(self.stdout)
        try:
            with open(output, "wb") as target:
                result = portability.export_newsroom(
                    target, with_subscribers=with_subscribers, progress=progress
                )
        except OSError as exc:
            raise CommandError(f"{output}: cannot write ({exc.strerror}).") from None
        progress.finish()
        for name in result["missing_files"]:
            self.stderr.write(self.style.WARNING(f"Missing from the media folder, not exported: {name}"))
        self.stdout.write(self.style.SUCCESS(f"Exported {portability.describe(result)} to {output}."))
