from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from accounts.views import home
from config.health import healthz

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("referrals.urls")),
    path("", include("routing.urls")),
    path("", include("notifications.urls")),
    path("", include("hub.urls")),
]

if settings.BENCH_ENDPOINTS:
    # The framework's floor for `make bench`: no database, no session, a few bytes. Never on in production.
    urlpatterns.append(path("bench/bare", lambda request: HttpResponse(b"ok", content_type="text/plain")))
