import contextlib
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pressroom.ops import accountability
from subscriptions import export
from subscriptions.models import Subscriber


class Command(BaseCommand):
    help = "Export subscribers as CSV (with their consent records) to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")
        parser.add_argument(
            "--status",
            action="append",
            choices=Subscriber.Status.values,
            help="Only subscribers with this status (may be given more than once)",
        )

    def handle(self, *args, output, status, **options):
        queryset = Subscriber.objects.all()
        if status:
            queryset = queryset.filter(status__in=status)
        with contextlib.ExitStack() as stack:
            if output:
                try:
                    target = stack.enter_context(Path(output).open("w", encoding="utf-8", newline=""))
                except OSError as exc:
                    raise CommandError(f"{output}: cannot write ({exc.strerror}).") from None
                write = target.write
            else:
                write = partial(self.stdout.write, ending="")
            count = -1  # the header is not a subscriber
            for line in export.stream(queryset):
                write(line)
                count += 1
        accountability.record(
            accountability.EXPORT, kind="subscribers", count=count, output=output or "stdout"
        )
        self.stderr.write(f"Exported {count} subscribers{f' to {output}' if output else ''}.")
