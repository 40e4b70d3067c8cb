from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("privacy/access-log/", views.access_log, name="access_log"),
    path("privacy/access-log.csv", views.access_log_csv, name="access_log_csv"),
    path("privacy/disclosures/", views.disclosures, name="disclosures"),
    path("privacy/disclosures.csv", views.disclosures_csv, name="disclosures_csv"),
]
