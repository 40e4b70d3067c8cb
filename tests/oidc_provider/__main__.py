"""Start the test provider: migrate its database, create its users and clients, serve on the given port."""

from __future__ import annotations

import os
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

call_command("migrate", verbosity=0)
User = get_user_model()
for person in settings.CONFIG["users"]:
    User.objects.create_user(username=person["username"], password=person["password"], email=person["email"])
for client in settings.CONFIG["clients"]:
    Application.objects.create(
        name=client["name"],
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        skip_authorization=client["skip_authorization"],
        algorithm=Application.RS256_ALGORITHM,
    )
call_command("runserver", f"127.0.0.1:{sys.argv[1]}", "--noreload", "--skip-checks")
