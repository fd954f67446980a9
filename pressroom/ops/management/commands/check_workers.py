from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Check that Celery workers are running: every worker that can reach the broker answers a ping. "
        "Exits with status 1 when fewer than --expect workers answer within --timeout seconds, so it can "
        "serve as a container health check or a monitoring probe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for answers (5).")
        parser.add_argument("--expect", type=int, default=1, help="How many workers must answer (1).")

    def handle(self, *args, timeout, expect, **options):
        from celery import current_app as app

        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError(
                "CELERY_TASK_ALWAYS_EAGER is on: tasks run in the web process and there are no workers to "
                "check. Unset it to run workers."
            )
        try:
            replies = app.control.ping(timeout=timeout) or []
        except Exception as exc:  # noqa: BLE001 - the broker's own errors vary by transport
            raise CommandError(
                f"The broker cannot be reached ({exc.__class__.__name__}: {exc}). Check REDIS_URL."
            ) from None
        workers = sorted(
            name for reply in replies for name, answer in reply.items() if answer.get("ok") == "pong"
        )
        for name in workers:
            self.stdout.write(f"{name}: pong")
        if len(workers) < expect:
            raise CommandError(
                f"{len(workers)} of {expect} expected worker(s) answered within {timeout:g} s. Is "
                "`celery -A pressroom worker` running, with the same REDIS_URL as this process?"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(workers)} worker(s) answered."))
