from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("internal/hints", views.hint_relay, name="hint_relay"),
]
