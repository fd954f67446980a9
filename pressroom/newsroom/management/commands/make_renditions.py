from django.core.management.base import BaseCommand

from pressroom.newsroom.models import Attachment


class Command(BaseCommand):
    help = (
        "Make the renditions of images that lack the named sizes (uploaded before them, or whose worker "
        "task failed): page sizes with WebP, the thumbnail, and the web, print and original downloads. "
        "With --all, of every image. Runs here, not on the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Make them again for every image.")
        parser.add_argument("--dry-run", action="store_true", help="Count the images; change nothing.")

    def handle(self, *args, all=False, dry_run=False, **options):
        images = Attachment.objects.filter(kind=Attachment.Kind.IMAGE).order_by("pk")
        if not all:
            images = images.filter(renditions={})
        total = images.count()
        if dry_run:
            self.stdout.write(f"{total} images would get their renditions.")
            return
        made = failed = 0
        for number, attachment in enumerate(images.iterator(), start=1):
            try:
                attachment.make_renditions()
            except (OSError, ValueError, SyntaxError) as exc:  # a damaged file: say so, go on
                failed += 1
                self.stderr.write(f"Image {attachment.pk} ({attachment.filename}): {exc}")
            else:
                made += 1
            if number % 50 == 0 or number == total:
                self.stdout.write(f"{number}/{total}")
        self.stdout.write(f"Made the renditions of {made} images; {failed} failed.")
