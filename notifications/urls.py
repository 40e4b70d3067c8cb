from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/bell", views.bell, name="bell"),
    path("notifications/<int:notification_id>/read", views.mark_read, name="mark_read"),
    path("notifications/read-all", views.mark_all_read, name="mark_all_read"),
    path("notifications/preferences", views.preferences, name="preferences"),
    path("internal/hints", views.hint_relay, name="hint_relay"),
]
