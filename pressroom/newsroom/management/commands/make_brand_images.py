from django.core.management.base import BaseCommand

from pressroom.newsroom.models import Contact, Newsroom


class Command(BaseCommand):
    help = (
        "Make the renditions of the newsroom's logo and cover (header and email logo, icons, cover widths) "
        "and of contact photos that lack them (uploaded before them, or whose worker task failed). With "
        "--all, every one again. Runs here, not on the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Make them again for every upload.")
        parser.add_argument("--dry-run", action="store_true", help="Count what lacks them; change nothing.")

    def handle(self, *args, all=False, dry_run=False, **options):
        newsroom = Newsroom.objects.filter(pk=1).first()
        due_newsroom = newsroom is not None and (newsroom.logo or newsroom.cover)
        due_newsroom = due_newsroom and (all or not newsroom.brand_images)
        contacts = Contact.objects.exclude(photo="").order_by("pk")
        if not all:
            contacts = contacts.filter(photo_renditions={})
        total = contacts.count()
        if dry_run:
            self.stdout.write(
                f"The logo and cover would {'' if due_newsroom else 'not '}get their renditions; "
                f"{total} contact photos would."
            )
            return
        made = failed = 0
        jobs = [(newsroom, newsroom.make_brand_images)] if due_newsroom else []
        jobs += [(contact, contact.make_photo_renditions) for contact in contacts.iterator()]
        for obj, make in jobs:
            try:
                make()
            except (OSError, ValueError, SyntaxError) as exc:  # a damaged file: say so, go on
                failed += 1
                self.stderr.write(f"{obj._meta.verbose_name} {obj.pk}: {exc}")
            else:
                made += 1
        self.stdout.write(
            f"Made the renditions of {made} uploads (logo and cover count as one); {failed} failed."
        )
