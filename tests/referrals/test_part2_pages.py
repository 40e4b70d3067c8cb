"""The Part 2 page of a referral: its treating staff record and revoke the person's Part 2 consents and disclose a
Part 2 note under one; the record goes with the redisclosure notice, the accounting (and the privacy officer's)
lists it, and a revoked consent stops further disclosures. Anyone else: 404 (or 403), nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import part2, services
from referrals.errors import ReferralError
from referrals.models import ClinicalAccessLog, ClinicalNote, Disclosure, Part2Consent, ReferralEvent
from tests.referrals.factories import advance, file_referral

PART2 = "Naltrexone 380 mg monthly, next dose due Friday"
GIVER = "Bartholomew Quince"
RECIPIENT = "Dr Rowan Ashby, Dimock Center"
NOTICE_START = "This record which has been disclosed to you is protected by federal confidentiality rules"


@pytest.fixture
def referral(personas):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=PART2, part2=True)
    return referral


def _url(referral) -> str:
    return reverse("referrals:part2", args=[referral.public_id])


def _consent_data(**changes) -> dict:
    return {
        "do": "record",
        "giver_name": GIVER,
        "recipient": RECIPIENT,
        "purpose": "Coordinate medication-assisted treatment",
        "information": "Medication and dose",
        "expires_on": "",
    } | changes


def _consent(referral, personas) -> Part2Consent:
    return part2.part2_consent_record(
        referral=referral,
        actor=personas["clinician.b2"],
        giver_name=GIVER,
        recipient=RECIPIENT,
        purpose="Coordinate care",
        information="Medication",
    )


def _rows() -> tuple:
    return Part2Consent.objects.count(), Disclosure.objects.count(), ReferralEvent.objects.count()


def test_the_case_page_links_the_part2_page_for_its_treating_staff_only(client, login, referral):
    login("clinician.b2")
    assert "data-part2" in client.get(reverse("referrals:case", args=[referral.public_id])).content.decode()
    login("clinician.supervisor")
    assert "data-part2" in client.get(reverse("referrals:case", args=[referral.public_id])).content.decode()


def test_the_assignee_records_a_consent_from_the_page(client, login, referral, personas):
    login("clinician.b2")
    assert client.get(_url(referral)).status_code == 200
    response = client.post(_url(referral), _consent_data(expires_on=(timezone.localdate() + timedelta(days=90))))
    assert response.status_code == 302
    consent = Part2Consent.objects.get()
    assert (consent.referral, consent.recorded_by, consent.giver_name, consent.recipient) == (
        referral,
        personas["clinician.b2"],
        GIVER,
        RECIPIENT,
    )
    event = ReferralEvent.objects.filter(kind="part2_consent").get()
    assert not event.police_visible
    html = client.get(_url(referral)).content.decode()
    assert RECIPIENT in html and "In force" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recipient": " "}, "This field is required."),
        ({"expires_on": "2001-01-01"}, "A consent cannot end before today."),
        ({"expires_on": "2026-02-30"}, "Enter a valid date."),
        ({"purpose": "x" * 301}, "at most 300 characters"),
    ],
)
def test_a_bad_consent_gets_the_form_back_and_writes_nothing(client, login, referral, changes, message):
    login("clinician.b2")
    before = _rows()
    response = client.post(_url(referral), _consent_data(**changes))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _rows() == before


def test_an_unknown_action_is_400_and_writes_nothing(client, login, referral):
    login("clinician.b2")
    before = _rows()
    assert client.post(_url(referral), {"do": "delete"}).status_code == 400
    assert _rows() == before


@pytest.mark.parametrize(
    ("username", "status"),
    [("clinician.c11", 404), ("youth.supervisor", 404), ("officer.b2", 403), ("privacy.officer", 403)],
)
def test_anyone_not_treating_the_person_gets_nothing_and_the_refusal_is_logged(
    client, login, referral, personas, username, status
):
    _consent(referral, personas)
    login(username)
    before = _rows()
    assert client.get(_url(referral)).status_code == status
    response = client.post(_url(referral), _consent_data())
    assert response.status_code == status
    assert RECIPIENT not in response.content.decode()
    assert _rows() == before
    refused = ClinicalAccessLog.objects.filter(user__username=username, outcome="refused", referral=referral)
    assert refused.count() == 2


def test_a_team_member_not_on_the_case_gets_404(client, login, referral, personas):
    from accounts.models import Role
    from tests.referrals.factories import partner_person

    partner_person("clinician.b2b", "BEST", Role.CLINICIAN, districts=("B2",))
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="clinician.b2b"))
    assert client.get(_url(referral)).status_code == 404


def test_a_disclosure_from_the_page_carries_the_notice_and_enters_both_accountings(client, login, referral, personas):
    consent = _consent(referral, personas)
    note = ClinicalNote.objects.get(part2=True)
    login("clinician.b2")
    response = client.post(
        _url(referral), {"do": "disclose", "note": note.pk, "consent": consent.pk, "recipient": RECIPIENT.lower()}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-packet" in html and PART2 in html and NOTICE_START in html
    disclosure = Disclosure.objects.get()
    assert (disclosure.note, disclosure.consent, disclosure.recipient, disclosure.notice) == (
        note,
        consent,
        RECIPIENT,
        part2.REDISCLOSURE_NOTICE,
    )
    accounting = client.get(reverse("referrals:disclosures", args=[referral.public_id])).content.decode()
    assert RECIPIENT in accounting

    # The privacy officer's accounting of the person: who received what, when, under which consent; never the
    # record itself, nor who signed.
    login("privacy.officer")
    response = client.get(reverse("privacy:disclosures"), {"person": referral.public_id})
    html = response.content.decode()
    assert response.status_code == 200 and html.count("data-disclosure") == 1
    assert RECIPIENT in html and f"Part 2 consent {consent.pk}" in html and "Medication" in html
    assert PART2 not in html and GIVER not in html
    csv_response = client.get(reverse("privacy:disclosures_csv"), {"person": referral.public_id.lower()})
    body = b"".join(csv_response.streaming_content).decode()
    assert csv_response.status_code == 200 and RECIPIENT in body and referral.public_id in body
    assert PART2 not in body and GIVER not in body


def test_a_disclosure_to_another_recipient_than_the_consent_names_is_409_and_writes_nothing(
    client, login, referral, personas
):
    consent = _consent(referral, personas)
    note = ClinicalNote.objects.get(part2=True)
    login("clinician.b2")
    before = _rows()
    response = client.post(
        _url(referral), {"do": "disclose", "note": note.pk, "consent": consent.pk, "recipient": "Someone else"}
    )
    assert response.status_code == 409
    assert "not Someone else" in response.content.decode()
    assert _rows() == before


def test_revoking_from_the_page_stops_further_disclosures(client, login, referral, personas):
    consent = _consent(referral, personas)
    note = ClinicalNote.objects.get(part2=True)
    login("clinician.b2")
    assert client.post(_url(referral), {"do": "revoke", "consent": consent.pk}).status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == personas["clinician.b2"]
    assert ReferralEvent.objects.filter(kind="part2_consent_revoked", police_visible=False).count() == 1
    assert "Revoked" in client.get(_url(referral)).content.decode()

    before = _rows()
    response = client.post(
        _url(referral), {"do": "disclose", "note": note.pk, "consent": consent.pk, "recipient": RECIPIENT}
    )
    assert response.status_code == 422  # a revoked consent is no longer offered
    assert _rows() == before
    with pytest.raises(ReferralError, match="in force"):
        part2.part2_disclose(note=note, actor=personas["clinician.b2"], recipient=RECIPIENT, consent=consent)
    with pytest.raises(ReferralError, match="already revoked"):
        part2.part2_consent_revoke(consent=consent, actor=personas["clinician.b2"])
    assert _rows() == before


def test_only_the_treating_staff_revoke_a_consent(referral, personas):
    from referrals.errors import Refused

    consent = _consent(referral, personas)
    with pytest.raises(Refused):
        part2.part2_consent_revoke(consent=consent, actor=personas["clinician.c11"])
    consent.refresh_from_db()
    assert consent.revoked_at is None
