from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from accounts import views as accounts_views
from accounts.views import home, password_reset_by_email_enabled
from config.health import healthz

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # django.contrib.auth.urls, spelled out: password changes are audited, and reset by email exists only when
    # PASSWORD_RESET_BY_EMAIL is on (404 otherwise).
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", accounts_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "accounts/password_reset/",
        password_reset_by_email_enabled(accounts_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        password_reset_by_email_enabled(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        password_reset_by_email_enabled(accounts_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        password_reset_by_email_enabled(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("referrals.urls")),
    path("", include("routing.urls")),
    path("", include("notifications.urls")),
    path("", include("hub.urls")),
    path("", include("dashboards.urls")),
    path("", include("privacy.urls")),
]

if settings.BENCH_ENDPOINTS:
    # The framework's floor for `make bench`: no database, no session, a few bytes. Never on in production.
    urlpatterns.append(path("bench/bare", lambda request: HttpResponse(b"ok", content_type="text/plain")))
