from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.role_home, name="role_home"),
    path("sso/<slug:provider>/", views.sso_start, name="sso_start"),
    path("sso/<slug:provider>/callback/", views.sso_callback, name="sso_callback"),
    path("me/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("two-step/", views.mfa_settings, name="mfa_settings"),
    path("two-step/verify/", views.mfa_verify, name="mfa_verify"),
    path("two-step/enroll/", views.mfa_enroll, name="mfa_enroll"),
]
