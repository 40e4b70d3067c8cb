from django.urls import path

from routing import views

app_name = "routing"
urlpatterns = [
    path("rosters/", views.roster, name="roster"),
    path("rosters/shifts/<int:shift_id>/delete/", views.shift_remove, name="shift_remove"),
]
