"""Create an API token from the command line, for scripts and checks that cannot click through the
admin (`make api-check`). The key is printed once, on standard output, and only its hash is stored."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pressroom.api.auth import create_token
from pressroom.api.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create an API token for an existing user and print its key (shown only this once). The token can "
        "do what the user may do, within its scope."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token acts for.")
        parser.add_argument("--name", default="Command line", help="What the token is for.")
        parser.add_argument(
            "--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ, help="Default: read."
        )

    def handle(self, *args, username, name, scope, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {username!r}. Create the user in the admin first.")
        token, key = create_token(user=user, name=name, scope=scope)
        self.stderr.write(f"Token {token} ({scope}) for {username}:")
        self.stdout.write(key)
