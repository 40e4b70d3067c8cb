"""The Hub's pages: who reaches which (404 for what is not theirs, as for what does not exist), what each shows, and
that bad input gets a clear message and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from hub.models import AgeBand, Assignment, ConclusionCode, HubAccessLog, RiskFactor, Situation, SituationEvent
from tests.hub import ADDRESS, NAME


def _propose_data(**overrides) -> dict:
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "discussion_type": "person",
        "description": "Young person missing school, recent overdose, conflict at home.",
        "person_0_age_band": AgeBand.objects.get(code="16-17").pk,
        "person_0_gender": "male",
        "person_0_full_name": NAME,
        "person_0_date_of_birth": "2008-05-17",
        "person_0_address": ADDRESS,
        "risk_factors": [RiskFactor.objects.get(code="truancy").pk],
    }
    data.update(overrides)
    return data


# --- reaching pages -------------------------------------------------------------------------------------------


def test_my_tables_lists_the_table_for_its_coordinator_and_members(client, hub_seed):
    for who in ("coordinator", "housing", "school"):
        client.force_login(hub_seed.users[who])
        html = client.get(reverse("hub:tables")).content.decode()
        assert hub_seed.table.name in html, who


def test_a_clinician_has_no_table_and_gets_404_for_the_table_page(client, hub_seed):
    client.force_login(hub_seed.users["clinician"])
    assert hub_seed.table.name not in client.get(reverse("hub:tables")).content.decode()
    assert client.get(reverse("hub:table", args=[hub_seed.table.pk])).status_code == 404
    assert client.get(reverse("hub:table", args=[999999])).status_code == 404


def test_a_situation_not_theirs_is_404_like_one_that_does_not_exist(client, hub_seed):
    situation = hub_seed.propose("housing")  # proposed: only the originating agency and the coordinator see it
    client.force_login(hub_seed.users["school"])
    assert client.get(reverse("hub:situation", args=[situation.public_id])).status_code == 404
    assert client.get(reverse("hub:situation", args=["H-1999-0001"])).status_code == 404
    client.force_login(hub_seed.users["clinician"])
    assert client.get(reverse("hub:situation", args=[situation.public_id])).status_code == 404


def test_a_meeting_is_404_for_an_officer_and_a_clinician(client, hub_seed):
    meeting = hub_seed.meeting()
    for who in ("officer", "clinician", "outsider"):
        client.force_login(hub_seed.users[who])
        assert client.get(reverse("hub:meeting", args=[meeting.pk])).status_code == 404, who


def test_a_member_reads_the_agenda_without_controls(client, hub_seed):
    meeting = hub_seed.meeting()
    situation = hub_seed.to_state(hub_seed.propose(), "on_agenda", meeting=meeting)
    client.force_login(hub_seed.users["school"])
    html = client.get(reverse("hub:meeting", args=[meeting.pk])).content.decode()
    assert situation.public_id in html
    assert "Threshold met" not in html and "Record attendance" not in html


def test_meeting_mode_and_escalations_and_export_refuse_a_member_with_403(client, hub_seed):
    meeting = hub_seed.meeting()
    situation = hub_seed.to_state(hub_seed.propose(), "on_agenda", meeting=meeting)
    item = situation.agenda_items.get()
    client.force_login(hub_seed.users["school"])
    url = reverse("hub:item_action", args=[meeting.pk, item.pk, "decide"])
    assert client.post(url, {"met": "yes", "item": 1}).status_code == 403
    assert client.post(reverse("hub:attendance", args=[meeting.pk]), {}).status_code == 403
    assert client.get(reverse("hub:escalations")).status_code == 403
    assert client.get(reverse("hub:export", args=[hub_seed.table.pk])).status_code == 403
    assert Situation.objects.get(pk=situation.pk).state == "on_agenda"


# --- propose --------------------------------------------------------------------------------------------------


def test_a_member_proposes_once_with_the_same_key(client, hub_seed):
    client.force_login(hub_seed.users["housing"])
    url = reverse("hub:propose", args=[hub_seed.table.pk])
    data = _propose_data(agency=hub_seed.agencies["housing"].pk)
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    situation = Situation.objects.get()
    assert situation.originating == hub_seed.agencies["housing"] and situation.state == "proposed"


def test_an_officer_proposes_for_the_police_and_links_a_referral_they_filed(client, hub_seed):
    from tests.referrals.factories import file_referral

    officer = hub_seed.users["officer"]
    referral = file_referral(officer, "B2")
    client.force_login(officer)
    url = reverse("hub:propose", args=[hub_seed.table.pk])
    page = client.get(url).content.decode()
    assert referral.public_id in page
    response = client.post(url, _propose_data(agency=hub_seed.agencies["police"].pk, referral=referral.pk))
    assert response.status_code == 302
    situation = Situation.objects.get()
    assert situation.originating == hub_seed.agencies["police"] and situation.referral == referral


def test_an_officer_cannot_link_another_officers_referral(client, hub_seed):
    from tests.referrals.factories import file_referral

    other = file_referral(hub_seed.users["outsider"], "D4")
    client.force_login(hub_seed.users["officer"])
    response = client.post(
        reverse("hub:propose", args=[hub_seed.table.pk]),
        _propose_data(agency=hub_seed.agencies["police"].pk, referral=other.pk),
    )
    assert response.status_code == 422
    assert not Situation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"risk_factors": []}, "This field is required"),
        ({"person_0_full_name": ""}, "Person 1: enter the name"),
        ({"description": "Lives at 40 Sample Rd and skips school."}, "street address"),
        ({"description": "Jordan skips school and has overdosed."}, "names an affected person"),
        ({"discussion_type": "nonsense"}, "Select a valid choice"),
        ({"person_0_date_of_birth": "not a date"}, "Enter a valid date"),
        ({"idempotency_key": "x"}, "This form is out of date"),
    ],
)
def test_bad_proposals_get_a_clear_message_and_make_nothing(client, hub_seed, overrides, message):
    client.force_login(hub_seed.users["housing"])
    data = _propose_data(agency=hub_seed.agencies["housing"].pk, **overrides)
    response = client.post(reverse("hub:propose", args=[hub_seed.table.pk]), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Situation.objects.exists()


def test_a_clinician_cannot_open_the_propose_form(client, hub_seed):
    client.force_login(hub_seed.users["clinician"])
    assert client.get(reverse("hub:propose", args=[hub_seed.table.pk])).status_code == 404


# --- the situation page ---------------------------------------------------------------------------------------


def test_the_situation_page_shows_the_identity_to_a_chosen_agency_and_logs_the_read(client, hub_seed):
    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["school"])
    html = client.get(reverse("hub:situation", args=[situation.public_id])).content.decode()
    assert NAME in html and ADDRESS in html
    assert HubAccessLog.objects.filter(user=hub_seed.users["school"], situation=situation, scope="full").count() == 1


def test_the_situation_partial_is_the_same_block_and_logs_a_live_refresh(client, hub_seed):
    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["school"])
    response = client.get(reverse("hub:situation", args=[situation.public_id]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="situation"') and NAME in html
    assert HubAccessLog.objects.get(user=hub_seed.users["school"]).reason == "live refresh"


def test_a_chosen_agency_plans_and_logs_the_door_knock(client, hub_seed):
    from django.utils import timezone

    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["housing"])
    url = reverse("hub:situation_action", args=[situation.public_id, "door_knock_plan"])
    when = timezone.localtime(timezone.now() + timezone.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"agencies": [hub_seed.agencies["housing"].pk], "planned_for": when})
    assert response.status_code == 302
    url = reverse("hub:situation_action", args=[situation.public_id, "door_knock_log"])
    assert client.post(url, {"response": "accepted"}).status_code == 302
    situation.refresh_from_db()
    assert situation.door_knock_done_at is not None and situation.response == "accepted"


def test_a_door_knock_planned_past_the_window_is_refused_with_409_and_nothing_changes(client, hub_seed):
    from django.utils import timezone

    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["housing"])
    url = reverse("hub:situation_action", args=[situation.public_id, "door_knock_plan"])
    late = timezone.localtime(timezone.now() + timezone.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"agencies": [hub_seed.agencies["housing"].pk], "planned_for": late})
    assert response.status_code == 409
    assert "Plan the door knock within the table" in response.content.decode()
    assert Situation.objects.get(pk=situation.pk).door_knock_planned_for is None


def test_a_not_chosen_member_posting_an_action_gets_403(client, hub_seed):
    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("police",))
    client.force_login(hub_seed.users["school"])
    url = reverse("hub:situation_action", args=[situation.public_id, "door_knock_log"])
    assert client.post(url, {"response": "accepted"}).status_code == 403
    assert client.post(reverse("hub:situation_action", args=[situation.public_id, "nonsense"]), {}).status_code == 404


def test_the_coordinator_concludes_and_the_chosen_agency_loses_the_identity(client, hub_seed):
    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["coordinator"])
    code = ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services")
    url = reverse("hub:situation_action", args=[situation.public_id, "conclude"])
    assert client.post(url, {"code": "", "services": []}).status_code == 422
    assert client.post(url, {"code": code.pk}).status_code == 302
    client.force_login(hub_seed.users["school"])
    html = client.get(reverse("hub:situation", args=[situation.public_id])).content.decode()
    assert "Concluded" in html and NAME not in html


def test_a_status_update_naming_the_person_is_refused_and_not_saved(client, hub_seed):
    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    client.force_login(hub_seed.users["housing"])
    url = reverse("hub:situation_action", args=[situation.public_id, "status_update"])
    response = client.post(url, {"text": "Jordan was not home."})
    assert response.status_code == 409 and "names an affected person" in response.content.decode()
    assert not situation.status_updates.exists()


# --- meeting mode ---------------------------------------------------------------------------------------------


def test_meeting_mode_runs_a_situation_through_filters_2_and_3_without_a_name(client, hub_seed):
    c = hub_seed.coordinator
    meeting = hub_seed.meeting()
    situation = hub_seed.to_state(hub_seed.propose(), "on_agenda", meeting=meeting)
    item = situation.agenda_items.get()
    client.force_login(c)
    htmx = {"HX-Request": "true"}
    response = client.post(
        reverse("hub:item_action", args=[meeting.pk, item.pk, "decide"]), {"met": "yes", "item": 1}, headers=htmx
    )
    assert response.status_code == 302
    page = client.get(response["Location"], headers=htmx)
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="meeting"') and "Share names with the agencies present" in html
    client.post(reverse("hub:item_action", args=[meeting.pk, item.pk, "reveal"]), {"item": 1})
    html = client.get(reverse("hub:meeting", args=[meeting.pk])).content.decode()
    assert "Names shared with" in html and "Boston Housing Authority" in html
    response = client.post(
        reverse("hub:item_action", args=[meeting.pk, item.pk, "choose"]),
        {
            "item": 1,
            "lead": hub_seed.agencies["housing"].pk,
            "assisting": [hub_seed.agencies["school"].pk, hub_seed.agencies["police"].pk],
        },
    )
    assert response.status_code == 302
    situation.refresh_from_db()
    assert situation.state == "intervention"
    assert Assignment.objects.filter(situation=situation).count() == 3
    html = client.get(reverse("hub:meeting", args=[meeting.pk])).content.decode()
    assert NAME not in html and ADDRESS not in html
    assert not HubAccessLog.objects.exists()  # meeting mode never reads the identity


def test_choosing_without_a_lead_or_with_an_agency_without_agreement_changes_nothing(client, hub_seed):
    meeting = hub_seed.meeting()
    situation = hub_seed.to_state(hub_seed.propose(), "accepted_unrevealed", meeting=meeting)
    item = situation.agenda_items.get()
    client.force_login(hub_seed.coordinator)
    url = reverse("hub:item_action", args=[meeting.pk, item.pk, "choose"])
    assert client.post(url, {"item": 1}).status_code == 422
    response = client.post(url, {"item": 1, "lead": hub_seed.agencies["health"].pk})
    assert response.status_code == 422
    assert Situation.objects.get(pk=situation.pk).state == "accepted"


def test_a_vote_before_the_meeting_opens_is_refused_with_a_message(client, hub_seed):
    from hub import services

    meeting = services.meeting_schedule(
        table=hub_seed.table, actor=hub_seed.coordinator, held_on=__import__("datetime").date(2030, 1, 8)
    )
    situation = hub_seed.propose()
    services.agenda_add(situation=situation, actor=hub_seed.coordinator, meeting=meeting)
    item = situation.agenda_items.get()
    client.force_login(hub_seed.coordinator)
    response = client.post(reverse("hub:item_action", args=[meeting.pk, item.pk, "decide"]), {"met": "no", "item": 1})
    assert response.status_code == 409
    assert "while its meeting is open" in response.content.decode()
    assert Situation.objects.get(pk=situation.pk).state == "on_agenda"
    assert not SituationEvent.objects.filter(kind="rejected").exists()


def test_an_agenda_item_of_another_meeting_is_404(client, hub_seed):
    meeting = hub_seed.meeting()
    situation = hub_seed.to_state(hub_seed.propose(), "on_agenda", meeting=meeting)
    client.force_login(hub_seed.coordinator)
    item = situation.agenda_items.get()
    url = reverse("hub:item_action", args=[meeting.pk + 1000, item.pk, "decide"])
    assert client.post(url, {"met": "yes"}).status_code == 404


def test_the_coordinator_downloads_the_rtd_csv_without_identity(client, hub_seed):
    hub_seed.to_state(hub_seed.propose(), "concluded")
    client.force_login(hub_seed.coordinator)
    response = client.get(reverse("hub:export", args=[hub_seed.table.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].startswith("Date,Table,Discussion type")
    assert NAME not in text and ADDRESS not in text and "2008" not in text


def test_escalations_list_an_overdue_door_knock(client, hub_seed):
    from datetime import timedelta

    from django.utils import timezone

    from hub import services

    situation = hub_seed.to_state(hub_seed.propose(), "intervention", lead="housing", assisting=("school",))
    services.door_knock_escalate_if_due(situation_id=situation.pk, now=timezone.now() + timedelta(hours=49))
    client.force_login(hub_seed.coordinator)
    html = client.get(reverse("hub:escalations")).content.decode()
    assert situation.public_id in html and "escalated" in html
