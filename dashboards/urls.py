from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("dashboards/", views.dashboard, name="index"),
    path("dashboards/print/", views.print_view, name="print"),
    path("dashboards/open-data.csv", views.open_data_csv, name="csv"),
    path("dashboards/compstat/", views.compstat, name="compstat"),
    path("dashboards/compstat/plans/<int:pk>/status/", views.plan_status, name="plan_status"),
]
