"""`manage.py ensure_portal_user NAME`: creates the user NAME, or resets its password.

The password is read from the environment variable PORTAL_USER_PASSWORD, never
from the command line (argv is visible to every user of the machine). Run it
as often as you like: the local stack runs it on every start.
"""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the portal user NAME (or reset its password) from PORTAL_USER_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the Django user name (also logview's on_behalf_of)")

    def handle(self, *args, name, **options):
        password = os.environ.get("PORTAL_USER_PASSWORD", "")
        if len(password) < 12:
            raise CommandError("set PORTAL_USER_PASSWORD to the user's password (at least 12 characters)")
        user, created = get_user_model().objects.get_or_create(username=name)
        user.set_password(password)
        user.is_active = True
        user.save()
        self.stdout.write(f"portal user {name} {'created' if created else 'password reset'}")
