from django.urls import path

from referrals.views import officer, partner, privacy

app_name = "referrals"
urlpatterns = [
    path("referrals/", officer.my_referrals, name="mine"),
    path("referrals/new/", officer.new_request, name="new"),
    path("referrals/<str:public_id>/", officer.police_detail, name="police_detail"),
    path("referrals/<str:public_id>/cancel/", officer.cancel, name="cancel"),
    path("referrals/<str:public_id>/add-information/", officer.add_information, name="add_information"),
    path("queue/", partner.queue, name="queue"),
    path("overdue/", partner.overdue, name="overdue"),
    path("break-glass/", privacy.break_glass_open, name="break_glass"),
    path("break-glass/reviews/", privacy.break_glass_reviews, name="break_glass_reviews"),
    path("break-glass/<int:pk>/review/", privacy.break_glass_review, name="break_glass_review"),
    path("queue/<str:public_id>/", partner.case, name="case"),
    path("queue/<str:public_id>/disclosures/", privacy.disclosures, name="disclosures"),
    path("queue/<str:public_id>/part2/", privacy.part2_consents, name="part2"),
    path("queue/<str:public_id>/<slug:action>/", partner.case_action, name="case_action"),
]
