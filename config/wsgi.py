"""WSGI entry point: plain HTTP on gunicorn workers (see README, "Production")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.startup import load_settings_or_exit

load_settings_or_exit()
application = get_wsgi_application()
