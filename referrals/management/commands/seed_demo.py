from __future__ import annotations

from base64 import b32decode
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import mfa_required
from accounts.models import Role
from referrals.demo import demo_seed

# Demo only: every demo login that signs in with a second factor shares this authenticator key, printed below so a
# tester adds it to an authenticator app once. Never used outside seed_demo, which refuses to run with DEBUG off.
DEMO_TOTP_SECRET = "HANDOFFDEMOONLYNOTASECRETKEY2345"  # noqa: S105 - base32, 20 bytes; printed, demo only
DEMO_DEVICE_NAME = "Demo authenticator (shared demo key)"


def demo_totp_devices_seed(usernames) -> list[str]:
    """Give each demo login that must use a second factor (accounts.mfa, signing in with a password) a confirmed
    device holding the shared demo key. Safe to run again. Returns their usernames."""
    key_hex = b32decode(DEMO_TOTP_SECRET).hex()
    seeded = []
    for user in get_user_model().objects.filter(username__in=usernames).order_by("username"):
        if not mfa_required(user, None):
            continue
        TOTPDevice.objects.update_or_create(
            user=user, name=DEMO_DEVICE_NAME, defaults={"key": key_hex, "confirmed": True, "last_t": -1}
        )
        seeded.append(user.username)
    return seeded


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
        two_step = set(demo_totp_devices_seed([persona.username for persona in personas]))
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"Password for every demo login: {password}\n")
        self.stdout.write(
            "DEMO ONLY - two-step sign-in: the logins marked * then ask for a code from an authenticator app holding\n"
            f"  the shared demo key {DEMO_TOTP_SECRET}\n"
            f"  (otpauth://totp/Handoff%20demo?secret={DEMO_TOTP_SECRET}&issuer={quote('Handoff demo')})\n"
            "  Real accounts each set up their own key at their first sign-in.\n"
        )
        width = max(len(p.username) for p in personas)
        for persona in personas:
            role = Role(persona.role).label if persona.role else "Administrator (superuser)"
            where = ", ".join(persona.districts) or ("all districts" if persona.all_districts else "")
            mark = "*" if persona.username in two_step else " "
            self.stdout.write(f"{mark} {persona.username:<{width}}  {role}{f' · {where}' if where else ''}")
        self.stdout.write(
            "A clinical, partner, Hub or privacy-officer membership granted in the admin waits until a second"
            " administrator confirms it: grant as admin, confirm as admin.second."
        )
