from django.urls import path

from hub.views import meeting, situation, tables

app_name = "hub"
urlpatterns = [
    path("hub/", tables.tables, name="tables"),
    path("hub/escalations/", tables.escalations, name="escalations"),
    path("hub/tables/<int:table_id>/", tables.table, name="table"),
    path("hub/tables/<int:table_id>/propose/", tables.propose, name="propose"),
    path("hub/tables/<int:table_id>/meetings/", tables.meeting_schedule, name="meeting_schedule"),
    path("hub/tables/<int:table_id>/export.csv", tables.export_csv, name="export"),
    path("hub/meetings/<int:meeting_id>/", meeting.meeting, name="meeting"),
    path("hub/meetings/<int:meeting_id>/attendance/", meeting.attendance, name="attendance"),
    path("hub/meetings/<int:meeting_id>/<slug:change>/", meeting.meeting_state, name="meeting_state"),
    path("hub/meetings/<int:meeting_id>/items/<int:item_id>/<slug:action>/", meeting.item_action, name="item_action"),
    path("hub/situations/<str:public_id>/", situation.situation, name="situation"),
    path("hub/situations/<str:public_id>/<slug:action>/", situation.situation_action, name="situation_action"),
]
