"""What the officer's and the partner's views do: file, retry, refuse bad input, cancel, refuse a taken request,
refuse an incomplete disposition; what the queue rows and case pages show; which buttons the case page offers;
range checks on what the forms take."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone

from districts.models import District
from referrals import events
from referrals.models import PoliceStatus, Referral, ReferralEvent, Subject
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import (
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    Disposition,
    FollowUp,
)
from tests.referrals.factories import add_follow_up, advance, file_referral, form_datetime

S = CoResponseState


def _request_form(**overrides) -> dict:
    data = {
        "program": "co-response",
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


def _state(referral: Referral) -> str:
    return CoResponseCase.objects.get(referral=referral).state


def _kinds(referral: Referral) -> list[str]:
    return list(ReferralEvent.objects.filter(referral=referral).order_by("pk").values_list("kind", flat=True))


def _case_url(referral: Referral, action: str | None = None) -> str:
    if action is None:
        return reverse("referrals:case", args=[referral.public_id])
    return reverse("referrals:case_action", args=[referral.public_id, action])


def _elements(html: str, name: str | None = None, *, attribute: str | None = None) -> list[Element]:
    """Every element of the page named ``name`` and/or carrying ``attribute``, in document order."""
    found = []

    def walk(element):
        names = {key for key, _ in element.attributes}
        if (name is None or element.name == name) and (attribute is None or attribute in names):
            found.append(element)
        for child in element.children:
            if not isinstance(child, str):
                walk(child)

    # parse_html gives the element itself for a fragment with one root, a nameless root otherwise.
    walk(parse_html(html))
    return found


def _attrs(element: Element) -> dict:
    return dict(element.attributes)


def _action_forms(html: str) -> set[str]:
    """The case actions the page has a form for, by the action's name in the form's URL."""
    return {_attrs(form)["action"].rstrip("/").rsplit("/", 1)[-1] for form in _elements(html, "form")} - {""}


# --- filing ---------------------------------------------------------------------------------------------------


def test_filing_creates_a_referral_and_redirects_to_its_status_page(client, login):
    officer = login("officer.b2")
    response = client.post(reverse("referrals:new"), _request_form())

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:police_detail", args=[referral.public_id])
    assert (referral.officer, referral.district.code, _state(referral)) == (officer, "B2", S.REQUESTED)
    assert (referral.police_status, referral.phase) == (PoliceStatus.RECEIVED, "waiting")
    assert referral.reason_codes == ["suicidal"]
    assert Subject.objects.get(referral=referral).name == "Pat Doe"
    assert _messages(response) == [f"Request {referral.public_id} sent to BEST."]


@pytest.mark.parametrize("query", [{"district": "²"}, {"district": "١٢"}, {"age": "³"}, {"age": "9" * 400}])
def test_a_carried_district_or_age_that_is_not_an_ascii_number_is_ignored_not_a_500(client, login, query):
    """The program chooser carries district and age to the form; "²" passes str.isdigit() but not int() (a 500
    found by the fuzz)."""
    login("officer.b2")
    response = client.get("/referrals/new/", {"program": "co-response", **query})
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["district"] == District.objects.get(code="B2")  # the officer's home district, as with no query
    assert "subject_age" not in initial


def test_posting_the_same_idempotency_key_twice_creates_one_referral(client, login):
    login("officer.b2")
    form = _request_form()
    first = client.post(reverse("referrals:new"), form)
    second = client.post(reverse("referrals:new"), form, follow=True)

    referral = Referral.objects.get()
    assert second.redirect_chain == [(first["Location"], 302)]
    assert second.status_code == 200
    assert f"Request {referral.public_id} was already sent; here it is." in second.content.decode()
    assert ReferralEvent.objects.filter(kind=events.FILED).count() == 1


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
        ({"district": "9" * 30}, "Select a valid choice. That choice is not one of the available choices."),
        ({"urgency": "x"}, "Select a valid choice. x is not one of the available choices."),
        ({"subject_age": "500"}, "Ensure this value is less than or equal to 120."),
        ({"latitude": "42.33"}, "The location from the phone was incomplete; try again or type the address."),
    ],
    ids=["unknown district", "30-digit district", "urgency x", "age 500", "latitude without longitude"],
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
    assert _state(referral) == S.CANCELLED
    assert (referral.police_status, referral.phase) == (PoliceStatus.CANCELLED, "ended")
    assert _messages(response) == ["Request cancelled."]
    assert referral.events.filter(kind=events.CANCELLED).count() == 1


def test_officer_cannot_cancel_an_accepted_request(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("officer.b2")
    response = client.post(reverse("referrals:cancel", args=[referral.public_id]), follow=True)

    referral.refresh_from_db()
    assert response.status_code == 200
    assert "A request that is accepted cannot be cancelled." in response.content.decode()
    assert _state(referral) == S.ACCEPTED
    assert referral.assignee == personas["clinician.b2"]
    assert not referral.events.filter(kind=events.CANCELLED).exists()


def test_status_page_offers_cancel_only_before_acceptance(client, personas, login):
    waiting = file_referral(personas["officer.b2"], "B2")
    accepted = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("officer.b2")
    cancel_url = reverse("referrals:cancel", args=[waiting.public_id])
    assert cancel_url in client.get(reverse("referrals:police_detail", args=[waiting.public_id])).content.decode()
    accepted_page = client.get(reverse("referrals:police_detail", args=[accepted.public_id])).content.decode()
    assert reverse("referrals:cancel", args=[accepted.public_id]) not in accepted_page


def test_cancel_asks_to_confirm(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("officer.b2")
    page = client.get(reverse("referrals:police_detail", args=[referral.public_id])).content.decode()
    (form,) = [f for f in _elements(page, "form") if _attrs(f)["action"].endswith("/cancel/")]
    assert _attrs(form)["data-confirm"] == "Cancel this request? The clinician will no longer come."


def test_sergeant_cannot_cancel_an_officers_request_in_the_district(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("sergeant.b2")
    page = client.get(reverse("referrals:police_detail", args=[referral.public_id])).content.decode()
    response = client.post(reverse("referrals:cancel", args=[referral.public_id]))

    referral.refresh_from_db()
    assert reverse("referrals:cancel", args=[referral.public_id]) not in page  # no button that will not work
    assert response.status_code == 403
    assert _state(referral) == S.REQUESTED
    assert referral.police_status == PoliceStatus.RECEIVED


# --- the partner's side ---------------------------------------------------------------------------------------


def test_accepting_a_request_another_clinician_accepted_gets_409_naming_who(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("clinician.supervisor")
    response = client.post(_case_url(referral, "accept"))

    referral.refresh_from_db()
    assert response.status_code == 409
    assert "Jordan Lee has already accepted this request." in response.content.decode()
    assert referral.assignee == personas["clinician.b2"]
    assert referral.events.filter(kind=events.ACCEPTED).count() == 1


def test_accepting_a_waiting_request_makes_it_the_clinicians(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    clinician = login("clinician.b2")
    response = client.post(_case_url(referral, "accept"))

    referral.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == _case_url(referral)
    assert (_state(referral), referral.assignee) == (S.ACCEPTED, clinician)
    assert (referral.police_status, referral.phase) == (PoliceStatus.ACCEPTED, "active")


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
    response = client.post(_case_url(referral, "disposition"), data)

    record = ClinicalRecord.objects.get(referral=referral)
    assert response.status_code == 422
    assert "A Section 12 needs who authorised it and whether it is 12(a) or 12(b)." in response.content.decode()
    assert (record.disposition, record.section12_by, record.section12_kind, record.disposition_at) == ("", "", "", None)
    assert not referral.events.filter(kind=kinds.DISPOSITION).exists()


def test_complete_section_12_disposition_is_recorded(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    login("clinician.b2")
    data = {"disposition": "ed_section_12", "section12_by": "physician", "section12_kind": "12b"}
    response = client.post(_case_url(referral, "disposition"), data)

    record = ClinicalRecord.objects.get(referral=referral)
    assert response.status_code == 302
    assert (record.disposition, record.section12_by, record.section12_kind) == ("ed_section_12", "physician", "12b")


# --- what the queue and the case pages show -------------------------------------------------------------------


def test_queue_rows_show_reasons_safety_flags_and_cad_number(client, personas, login):
    referral = file_referral(
        personas["officer.b2"],
        "B2",
        reason_codes=["psychosis", "suicidal"],
        weapon_seen=True,
        violence=True,
        medical_emergency=True,
        cad_incident_number="I252001234",
    )
    login("clinician.b2")
    page = client.get(reverse("referrals:queue")).content.decode()

    (row,) = [row for row in _elements(page, "li") if ("data-ref", referral.public_id) in row.attributes]
    row_html = str(row)
    (reasons,) = _elements(row_html, attribute="data-reasons")
    (flags,) = _elements(row_html, attribute="data-flags")
    assert reasons.children == ["Psychosis, Suicidal statements"]
    assert flags.children == ["Weapon Violence Medical"]
    assert "CAD I252001234" in row_html


def _title_count(client) -> int:
    page = client.get(reverse("referrals:queue"), headers={"HX-Request": "true"}).content.decode()
    (queue,) = _elements(page, attribute="data-title-count")
    return int(_attrs(queue)["data-title-count"])


def test_a_new_arrival_changes_the_count_the_queue_title_uses(client, personas, login):
    file_referral(personas["officer.b2"], "B2")
    login("clinician.b2")
    full_page = client.get(reverse("referrals:queue")).content.decode()
    assert [_attrs(e)["data-title-count"] for e in _elements(full_page, attribute="data-title-count")] == ["1"]
    assert _title_count(client) == 1

    file_referral(personas["officer.b2"], "B2")
    assert _title_count(client) == 2
    file_referral(personas["officer.b2"], "C11")  # another district's: not in this queue
    assert _title_count(client) == 2


def _phones(client, referral) -> tuple[list, list]:
    """(clinician phones on the officer's page, officer phones on the clinician's case page)."""
    officer_page = client["officer"].get(reverse("referrals:police_detail", args=[referral.public_id]))
    case_page = client["clinician"].get(_case_url(referral))
    return (
        [e.children for e in _elements(officer_page.content.decode(), attribute="data-clinician-phone")],
        [e.children for e in _elements(case_page.content.decode(), attribute="data-officer-phone")],
    )


def test_after_acceptance_each_side_sees_the_others_callback_number(personas):
    clients = {"officer": Client(), "clinician": Client()}
    clients["officer"].force_login(personas["officer.b2"])
    clients["clinician"].force_login(personas["clinician.b2"])
    referral = file_referral(personas["officer.b2"], "B2")
    assert _phones(clients, referral) == ([], [])

    advance(referral, personas["clinician.b2"], "accepted")

    assert _phones(clients, referral) == ([["617-555-0142"]], [["617-555-0102"]])


# --- the case page offers only buttons that will work ---------------------------------------------------------


def test_case_page_offers_no_end_call_without_a_disposition(client, personas, login):
    clinician = personas["clinician.b2"]
    referral = advance(file_referral(personas["officer.b2"], "B2"), clinician, "on_scene")
    login("clinician.b2")
    page = client.get(_case_url(referral)).content.decode()
    assert "finish" not in _action_forms(page)
    assert "End call" not in page

    co_response.clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.STABILISED)

    page = client.get(_case_url(referral)).content.decode()
    assert "finish" in _action_forms(page)
    assert "End call" in page


def test_case_page_offers_no_close_while_follow_ups_are_open(client, personas, login):
    clinician = personas["clinician.b2"]
    referral = advance(file_referral(personas["officer.b2"], "B2"), clinician, "disposed")
    follow_up = add_follow_up(referral, clinician)
    co_response.referral_finish(referral=referral, actor=clinician)
    assert _state(referral) == S.FOLLOW_UP
    login("clinician.b2")
    page = client.get(_case_url(referral)).content.decode()
    assert "finish" not in _action_forms(page)
    assert ">Close<" not in page
    assert "follow_up_done" in _action_forms(page)

    co_response.follow_up_complete(follow_up=follow_up, actor=clinician, outcome=FollowUp.Outcome.REACHED)

    page = client.get(_case_url(referral)).content.decode()
    assert "finish" in _action_forms(page)
    assert ">Close<" in page
    assert client.post(_case_url(referral, "finish")).status_code == 302
    assert _state(referral) == S.CLOSED


def test_case_page_offers_the_actions_of_the_state_in_workflow_order(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("clinician.b2")
    response = client.get(_case_url(referral))
    assert response.context["allowed"] == ["accept", "decline"]
    advance(referral, personas["clinician.b2"], "accepted")
    response = client.get(_case_url(referral))
    assert response.context["allowed"] == [
        "depart",
        "arrive",
        "disposition",
        "follow_up",
        "follow_up_done",
        "note",
        "reroute",
    ]


def test_decline_select_has_no_reason_chosen_in_advance(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("clinician.b2")
    page = client.get(_case_url(referral)).content.decode()
    (select,) = [s for s in _elements(page, "select") if _attrs(s).get("name") == "reason"]
    options = [option for option in select.children if isinstance(option, Element)]
    # The first option is "Choose a reason…" (empty); no reason is selected in advance.
    assert (_attrs(options[0])["value"], options[0].children) == ("", ["Choose a reason…"])
    assert [_attrs(option)["value"] for option in options if "selected" in _attrs(option)] in ([], [""])


def test_decline_without_a_reason_gets_422_and_changes_nothing(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    before = Referral.objects.filter(pk=referral.pk).values().get(), _kinds(referral)
    login("clinician.b2")
    for data in ({}, {"reason": ""}, {"reason": "bored"}):
        response = client.post(_case_url(referral, "decline"), data)
        assert response.status_code == 422
        assert (Referral.objects.filter(pk=referral.pk).values().get(), _kinds(referral)) == before
        assert _state(referral) == S.REQUESTED
    assert "Choose why the request is declined." in client.post(_case_url(referral, "decline")).content.decode()


def _section12_block(page: str) -> Element:
    (block,) = _elements(page, attribute="data-section12")
    names = {_attrs(select)["name"] for select in _elements(str(block), "select")}
    assert names == {"section12_by", "section12_kind"}
    return block


def test_section_12_fields_are_hidden_unless_the_disposition_is_section_12(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    login("clinician.b2")
    page = client.get(_case_url(referral)).content.decode()
    assert "hidden" in _attrs(_section12_block(page))
    # The Section 12 selects appear nowhere else on the page.
    assert len([s for s in _elements(page, "select") if _attrs(s)["name"].startswith("section12")]) == 2

    refused = client.post(_case_url(referral, "disposition"), {"disposition": "ed_section_12"})
    assert refused.status_code == 422
    assert "hidden" not in _attrs(_section12_block(refused.content.decode()))

    other = client.post(_case_url(referral, "disposition"), {"disposition": "stabilised", "section12_kind": "12a"})
    assert other.status_code == 422
    assert "hidden" in _attrs(_section12_block(other.content.decode()))


# --- range checks: bad dates and numbers answer 4xx, never 500, and store nothing ------------------------------


@pytest.mark.parametrize("due_at", ["9999-12-31T23:59", "0001-01-01T00:00", "2024-02-30T10:00", "tomorrow"])
def test_follow_up_due_out_of_range_gets_422_stores_nothing_and_the_case_page_still_opens(
    client, personas, login, due_at
):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    events_before = _kinds(referral)
    login("clinician.b2")
    response = client.post(_case_url(referral, "follow_up"), {"kind": "phone_call", "due_at": due_at})

    assert response.status_code == 422
    assert FollowUp.objects.filter(referral=referral).count() == 0
    assert _kinds(referral) == events_before
    assert client.get(_case_url(referral)).status_code == 200


def test_follow_up_due_tomorrow_is_stored(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    login("clinician.b2")
    due_at = timezone.now() + timedelta(days=1)
    response = client.post(_case_url(referral, "follow_up"), {"kind": "phone_call", "due_at": form_datetime(due_at)})
    assert response.status_code == 302
    assert FollowUp.objects.filter(referral=referral).count() == 1


@pytest.mark.parametrize("follow_up", ["9" * 30, "-1", "0", "abc", "1e9"])
def test_follow_up_done_with_an_impossible_id_is_refused_without_a_500(client, personas, login, follow_up):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    add_follow_up(referral, personas["clinician.b2"])
    login("clinician.b2")
    response = client.post(_case_url(referral, "follow_up_done"), {"follow_up": follow_up, "outcome": "reached"})
    assert response.status_code in (404, 422)
    assert FollowUp.objects.get(referral=referral).done_at is None


def test_follow_up_done_with_another_referrals_follow_up_is_404(client, personas, login):
    clinician = personas["clinician.b2"]
    mine = advance(file_referral(personas["officer.b2"], "B2"), clinician, "on_scene")
    other = advance(file_referral(personas["officer.b2"], "B2"), clinician, "on_scene")
    follow_up = add_follow_up(other, clinician)
    login("clinician.b2")
    response = client.post(_case_url(mine, "follow_up_done"), {"follow_up": follow_up.pk, "outcome": "reached"})
    assert response.status_code == 404
    assert FollowUp.objects.get(pk=follow_up.pk).done_at is None


@pytest.mark.parametrize("eta", ["0", "241", "99999999999999999999999999999", "-5", "soon"])
def test_depart_with_an_impossible_eta_gets_422(client, personas, login, eta):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("clinician.b2")
    response = client.post(_case_url(referral, "depart"), {"eta_minutes": eta})
    assert response.status_code == 422
    assert _state(referral) == S.ACCEPTED


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("transfer", {"district": "9" * 30, "reason": "The person moved"}),
        ("reassign", {"clinician": "9" * 30, "reason": "Shift change"}),
        ("disposition", {"disposition": "\x00"}),
        ("note", {"text": "x" * 5001}),
    ],
    ids=["30-digit district", "30-digit clinician", "NUL disposition", "note too long"],
)
def test_supervisor_action_with_impossible_input_gets_422_and_changes_nothing(client, personas, login, action, data):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    before = Referral.objects.filter(pk=referral.pk).values().get(), _kinds(referral)
    login("clinician.supervisor")
    response = client.post(_case_url(referral, action), data)
    # A NUL byte is refused before any view runs (config.middleware: 400); the rest by the action's form (422).
    assert response.status_code == (400 if any("\x00" in value for value in data.values()) else 422)
    assert (Referral.objects.filter(pk=referral.pk).values().get(), _kinds(referral)) == before
