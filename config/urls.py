from django.contrib import admin
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
]
