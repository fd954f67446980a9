from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pressroom.newsroom import services
from pressroom.newsroom.models import Release


def local(value):
    value = timezone.localtime(value)
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()}"


class Command(BaseCommand):
    help = (
        "Publish a release now, or schedule it with --at. Uses the same service as the admin, so "
        "subscribers get the release once, when it goes public."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The release's address, e.g. flere-flyktninger-over-til-arbeid.")
        parser.add_argument(
            "--at",
            metavar="ISO-8601",
            help=(
                "When to publish, e.g. 2025-06-24T09:00+02:00. Without an offset the time is read in the "
                "newsroom's time zone (TIME_ZONE, Europe/Oslo by default). Leave out to publish now."
            ),
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args, slug, at=None, dry_run=False, **options):
        release = Release.objects.filter(slug=slug).first()
        if release is None:
            raise CommandError(
                f"No release has the address {slug!r}. The address is the last part of the release's URL "
                "and is shown in the admin."
            )
        when = self.parse_time(at) if at is not None else None
        if when is not None and when <= timezone.now():
            raise CommandError(f"--at {at} ({local(when)}) is in the past. Leave out --at to publish now.")
        if when is None and release.status == Release.Status.PUBLISHED:
            self.stdout.write(f"“{release.title}” is already published ({local(release.published_at)}).")
            return
        if when is not None and release.status == Release.Status.PUBLISHED:
            raise CommandError(
                f"“{release.title}” is already published ({local(release.published_at)}). Unpublish it "
                "in the admin before scheduling it again."
            )

        if dry_run:
            plan = f"for {local(when)}" if when else "now"
            action = "scheduled" if when else "published"
            self.stdout.write(f"Dry run: “{release.title}” would be {action} {plan}. Nothing was changed.")
        elif when is None:
            release = self.publish(release)
            self.stdout.write(
                self.style.SUCCESS(f"Published “{release.title}” at {local(release.published_at)}: ")
                + settings.SITE_URL
                + release.get_absolute_url()
            )
        else:
            release = self.publish(release, at=when)
            self.stdout.write(self.style.SUCCESS(f"Scheduled “{release.title}” for {local(when)}."))

    def publish(self, release, at=None):
        try:
            return services.publish_release(release=release, at=at)
        except ValidationError as exc:  # not approved, or a video without captions
            raise CommandError(exc.messages[0]) from None

    def parse_time(self, value):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise CommandError(
                f"--at must be an ISO 8601 date and time such as 2025-06-24T09:00+02:00, not {value!r}."
            ) from None
        if timezone.is_aware(parsed):
            return parsed
        zone = timezone.get_current_timezone()
        aware = timezone.make_aware(parsed, zone)
        if _imaginary_or_ambiguous(parsed, zone):
            raise CommandError(
                f"{value} does not exist or happens twice in {zone.key} (a daylight saving change). "
                "Give the offset, e.g. +01:00 or +02:00."
            )
        self.stdout.write(f"No time zone in {value!r}: reading it as {zone.key} time, {local(aware)}.")
        return aware


def _imaginary_or_ambiguous(naive, zone):
    """True for wall-clock times skipped or repeated by a daylight saving change."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        return True
    return first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive
