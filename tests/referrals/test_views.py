"""What the officer's and the partner's views do: file, retry, refuse bad input, cancel, refuse a taken request,
refuse an incomplete disposition."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from districts.models import District
from referrals.models import ClinicalRecord, CoResponseState, Referral, ReferralEvent, Subject
from tests.referrals.factories import advance, file_referral


def _request_form(**overrides) -> dict:
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "district": District.objects.get(code="B2").pk,
        "urgency": "now",
        "location_text": "Dudley Sq",
        "reason_codes": ["suicidal"],
        "circumstances": "Standing at the platform edge",
        "subject_name": "Pat Doe",
        "subject_age": "34",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- filing ---------------------------------------------------------------------------------------------------


def test_filing_creates_a_referral_and_redirects_to_its_status_page(client, login):
    officer = login("officer.b2")
    response = client.post(reverse("referrals:new"), _request_form())

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:police_detail", args=[referral.public_id])
    assert (referral.officer, referral.district.code, referral.state) == (officer, "B2", CoResponseState.REQUESTED)
    assert referral.reason_codes == ["suicidal"]
    assert Subject.objects.get(referral=referral).name == "Pat Doe"
    assert _messages(response) == [f"Request {referral.public_id} sent to BEST."]


def test_posting_the_same_idempotency_key_twice_creates_one_referral(client, login):
    login("officer.b2")
    form = _request_form()
    first = client.post(reverse("referrals:new"), form)
    second = client.post(reverse("referrals:new"), form, follow=True)

    referral = Referral.objects.get()
    assert second.redirect_chain == [(first["Location"], 302)]
    assert second.status_code == 200
    assert f"Request {referral.public_id} was already sent; here it is." in second.content.decode()
    assert ReferralEvent.objects.filter(kind=ReferralEvent.Kind.FILED).count() == 1


def test_another_officer_reusing_an_idempotency_key_gets_422_and_not_the_first_request(client, personas, login):
    login("officer.b2")
    form = _request_form()
    client.post(reverse("referrals:new"), form)
    referral = Referral.objects.get()
    other = Client()
    other.force_login(personas["officer.d4"])
    response = other.post(reverse("referrals:new"), form)
    assert response.status_code == 422
    assert "This form was already used." in response.content.decode()
    assert referral.public_id not in response.content.decode()
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"district": "999999"}, "Select a valid choice. That choice is not one of the available choices."),
        ({"urgency": "x"}, "Select a valid choice. x is not one of the available choices."),
        ({"subject_age": "500"}, "Ensure this value is less than or equal to 120."),
        ({"latitude": "42.33"}, "The location from the phone was incomplete; try again or type the address."),
    ],
    ids=["unknown district", "urgency x", "age 500", "latitude without longitude"],
)
def test_bad_request_input_gets_422_with_a_clear_message_and_creates_nothing(client, login, overrides, message):
    login("officer.b2")
    response = client.post(reverse("referrals:new"), _request_form(**overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Referral.objects.count() == 0
    assert Subject.objects.count() == 0


def test_bad_request_input_keeps_the_idempotency_key_for_the_retry(client, login):
    login("officer.b2")
    form = _request_form(urgency="x")
    response = client.post(reverse("referrals:new"), form)
    assert f'value="{form["idempotency_key"]}"' in response.content.decode()


# --- cancelling -----------------------------------------------------------------------------------------------


def test_officer_cancels_a_request_before_acceptance(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("officer.b2")
    response = client.post(reverse("referrals:cancel", args=[referral.public_id]))

    referral.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:police_detail", args=[referral.public_id])
    assert referral.state == CoResponseState.CANCELLED
    assert _messages(response) == [f"Request {referral.public_id} cancelled."]
    assert referral.events.filter(kind=ReferralEvent.Kind.CANCELLED).count() == 1


def test_officer_cannot_cancel_an_accepted_request(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("officer.b2")
    response = client.post(reverse("referrals:cancel", args=[referral.public_id]), follow=True)

    referral.refresh_from_db()
    assert response.status_code == 200
    assert "A request that is accepted cannot be cancelled." in response.content.decode()
    assert referral.state == CoResponseState.ACCEPTED
    assert referral.accepted_by == personas["clinician.b2"]
    assert not referral.events.filter(kind=ReferralEvent.Kind.CANCELLED).exists()


def test_status_page_offers_cancel_only_before_acceptance(client, personas, login):
    waiting = file_referral(personas["officer.b2"], "B2")
    accepted = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("officer.b2")
    cancel_url = reverse("referrals:cancel", args=[waiting.public_id])
    assert cancel_url in client.get(reverse("referrals:police_detail", args=[waiting.public_id])).content.decode()
    accepted_page = client.get(reverse("referrals:police_detail", args=[accepted.public_id])).content.decode()
    assert reverse("referrals:cancel", args=[accepted.public_id]) not in accepted_page


def test_sergeant_cannot_cancel_an_officers_request_in_the_district(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("sergeant.b2")
    response = client.post(reverse("referrals:cancel", args=[referral.public_id]), follow=True)

    referral.refresh_from_db()
    assert "Only the officer who filed a request can cancel it." in response.content.decode()
    assert referral.state == CoResponseState.REQUESTED


# --- the partner's side ---------------------------------------------------------------------------------------


def test_accepting_a_request_another_clinician_accepted_gets_409_naming_who(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("clinician.supervisor")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "accept"]))

    referral.refresh_from_db()
    assert response.status_code == 409
    assert "Jordan Lee has already accepted this request." in response.content.decode()
    assert referral.accepted_by == personas["clinician.b2"]
    assert referral.events.filter(kind=ReferralEvent.Kind.ACCEPTED).count() == 1


def test_accepting_a_waiting_request_makes_it_the_clinicians(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    clinician = login("clinician.b2")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "accept"]))

    referral.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:case", args=[referral.public_id])
    assert (referral.state, referral.accepted_by) == (CoResponseState.ACCEPTED, clinician)


@pytest.mark.parametrize(
    "data",
    [
        {"disposition": "ed_section_12"},
        {"disposition": "ed_section_12", "section12_by": "physician"},
        {"disposition": "ed_section_12", "section12_kind": "12a"},
    ],
    ids=["neither", "no kind", "no who"],
)
def test_section_12_disposition_without_who_and_kind_gets_422_and_changes_nothing(client, personas, login, data):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    login("clinician.b2")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "disposition"]), data)

    record = ClinicalRecord.objects.get(referral=referral)
    assert response.status_code == 422
    assert "A Section 12 needs who authorised it and whether it is 12(a) or 12(b)." in response.content.decode()
    assert (record.disposition, record.section12_by, record.section12_kind, record.disposition_at) == ("", "", "", None)
    assert not referral.events.filter(kind=ReferralEvent.Kind.DISPOSITION).exists()


def test_complete_section_12_disposition_is_recorded(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    login("clinician.b2")
    data = {"disposition": "ed_section_12", "section12_by": "physician", "section12_kind": "12b"}
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "disposition"]), data)

    record = ClinicalRecord.objects.get(referral=referral)
    assert response.status_code == 302
    assert (record.disposition, record.section12_by, record.section12_kind) == ("ed_section_12", "physician", "12b")
