from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from referrals.demo import demo_seed


class Command(BaseCommand):
    help = "Create Boston demo organisations, programs and one login per role. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: seed_demo creates logins with a known password. Use --force to run.")
        password = settings.DEMO_PASSWORD
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(f"DEMO_PASSWORD is refused by the password rules: {' '.join(exc.messages)}") from None
        personas = demo_seed(password=password)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"Password for every demo login: {password}\n")
        width = max(len(p.username) for p in personas)
        for persona in personas:
            role = Role(persona.role).label if persona.role else "Administrator (superuser)"
            where = ", ".join(persona.districts) or ("all districts" if persona.all_districts else "")
            self.stdout.write(f"  {persona.username:<{width}}  {role}{f' · {where}' if where else ''}")
