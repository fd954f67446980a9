import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from subscriptions import services


class Command(BaseCommand):
    help = (
        "Import subscribers from a UTF-8 CSV file with the columns email, language (nb, nn or en) and "
        "topics (topic slugs separated by semicolons, en:slug for a topic of another language; empty for "
        "all topics), and optionally frequency and norwegian and english (yes or no: the releases they get; "
        "blank: those of their language), as export_subscribers writes them. Each new "
        "subscriber gets a confirmation email, unless --confirmed is given with a --consent-note saying how "
        "they consented. Duplicates and suppressed (erased) addresses are skipped and reported. Any invalid "
        "row aborts the import with nothing imported, unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row")
        parser.add_argument(
            "--confirmed",
            action="store_true",
            help="Make the subscribers active at once, without a confirmation email (needs --consent-note)",
        )
        parser.add_argument("--consent-note", default="", help="How and when these people gave consent")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; change nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid rows, skip the rest"
        )

    # The report is in English, like the rest of the command's output (the emails it sends are in each
    # subscriber's language all the same).
    @no_translations
    def handle(self, *args, file, confirmed, consent_note, dry_run, skip_invalid, **options):
        if confirmed and not consent_note.strip():
            raise CommandError(
                "--confirmed imports people as consenting without asking them: say how they consented with "
                '--consent-note "...", or leave out --confirmed to send each a confirmation email.'
            )
        rows = self.read(Path(file))
        try:
            report = services.import_subscribers(
                rows=rows,
                confirmed=confirmed,
                consent_note=consent_note,
                source=f"import:{Path(file).name}"[:500],
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                progress=self.progress,
            )
        except services.ImportAborted as aborted:
            self.print_report(aborted.report)
            raise CommandError(
                f"{len(aborted.report.invalid)} invalid row(s): nothing was imported. Fix the rows above, "
                "or use --skip-invalid to import the valid rows only."
            ) from None
        self.print_report(report)
        self.print_summary(report, rows_read=len(rows), confirmed=confirmed)

    def read(self, path):
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or "email" not in [
                    name.strip().lower() for name in reader.fieldnames
                ]:
                    raise CommandError(
                        f"{path}: the first row must be a header with at least an 'email' column."
                    )
                rows = []
                for row in reader:
                    # Extra cells (key None) and missing ones (value None) are dropped.
                    clean = {
                        key.strip().lower(): value
                        for key, value in row.items()
                        if isinstance(key, str) and isinstance(value, str)
                    }
                    rows.append((reader.line_num, clean))
                return rows
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file.") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
        except csv.Error as exc:
            raise CommandError(f"{path}: not a readable CSV file ({exc}).") from None

    def progress(self, done, total):
        width = 30
        filled = width * done // total
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.stdout.isatty():
            self.stdout.write(f"\r{bar}", ending="\n" if done == total else "")
            self.stdout.flush()
        elif done == total or done % max(1, total // 10) == 0:
            self.stdout.write(bar)

    def print_report(self, report):
        for line, message in report.invalid:
            self.stderr.write(f"Line {line}: invalid: {message}")
        for line, email, why in report.duplicates:
            self.stdout.write(f"Line {line}: duplicate ({why}), skipped: {email}")
        for line, email in report.suppressed:
            self.stdout.write(f"Line {line}: erased address (suppressed), skipped: {email}")

    def print_summary(self, report, *, rows_read, confirmed):
        state = "active" if confirmed else "pending, each sent a confirmation email"
        counts = (
            f"{rows_read} rows: {len(report.valid)} new ({state}), {len(report.duplicates)} duplicates, "
            f"{len(report.suppressed)} suppressed, {len(report.invalid)} invalid"
        )
        if report.dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run, nothing imported. {counts}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {report.imported}. {counts}."))
