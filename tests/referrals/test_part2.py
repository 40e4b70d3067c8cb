"""42 CFR Part 2: a Part 2 note reaches only the treating program's staff on the case (its assignee, and a
supervisor of the organisation holding ``referrals.view_part2``); a disclosure outside needs a Part 2 consent in
force, carries the redisclosure notice and is listed in the accounting of disclosures, kept three years."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from notifications.models import Notification
from programs.models import Program
from referrals import part2, services
from referrals.errors import ReferralError, Refused
from referrals.models import ClinicalAccessLog, Disclosure, Part2Consent, ReferralEvent
from referrals.workflows.co_response.spec import ACTIONS
from tests.referrals.factories import advance, file_referral, partner_person

PART2 = "Buprenorphine 16 mg induction, OTP intake QZ-9031"
ORDINARY = "Calmer after talking; sister on the way"
RECIPIENT = "Dr Imogen Farrow, Codman Square Health Center"
NOTICE_START = (
    "This record which has been disclosed to you is protected by federal confidentiality rules (42 CFR part 2)."
)
PARTNER_ACTIONS = sorted(name for name, action in ACTIONS.items() if action.side == "partner")

NOT_ENTITLED = [
    "officer.b2",  # the filing officer
    "sergeant.b2",  # police
    "clinician.b2b",  # another member of the team holding the referral
    "clinician.c11",  # the same partner, another district
    "youth.supervisor",  # another partner's supervisor
    "trauma.line",
    "hub.coordinator",  # the hub
    "agency.school",
    "admin",
]
ENTITLED = ["clinician.b2", "clinician.supervisor"]


@pytest.fixture
def hints_sent():
    sent: list = []
    with mock.patch("notifications.hints._send", side_effect=lambda groups, message: sent.append((groups, message))):
        yield sent


@pytest.fixture
def case(personas, hints_sent, caplog, django_capture_on_commit_callbacks):
    """A B2 call on scene with clinician.b2, a second B2 clinician on the holding team, an ordinary note and a
    Part 2 note; every hint and log line written on the way is kept."""
    personas["clinician.b2b"] = partner_person("clinician.b2b", "BEST", Role.CLINICIAN, districts=("B2",))
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        referral = file_referral(personas["officer.b2"], "B2", subject_name="Ansel Thrupp", subject_age=19)
        referral = advance(referral, personas["clinician.b2"], "on_scene")
        services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=ORDINARY)
        note = services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=PART2, part2=True)
    referral.refresh_from_db()
    referral.part2_note = note
    return referral


def _requests(referral) -> list[tuple[str, str, dict, dict]]:
    htmx = {"HX-Request": "true"}
    requests = []
    for path in (
        reverse("home"),
        reverse("accounts:role_home"),
        reverse("referrals:mine"),
        reverse("referrals:police_detail", args=[referral.public_id]),
        reverse("referrals:queue"),
        reverse("referrals:overdue"),
        reverse("referrals:case", args=[referral.public_id]),
        reverse("referrals:disclosures", args=[referral.public_id]),
        reverse("notifications:inbox"),
        reverse("notifications:bell"),
        "/admin/",
        "/admin/referrals/referral/",
        f"/admin/referrals/referral/{referral.pk}/change/",
        "/admin/referrals/referralevent/",
        "/admin/referrals/clinicalaccesslog/",
        "/admin/referrals/clinicalnote/",
    ):
        requests += [("GET", path, {}, {}), ("GET", path, {}, htmx)]
    for action in PARTNER_ACTIONS:  # a bad form sends the case page back: 422, or 403/404 for the others
        requests.append(("POST", reverse("referrals:case_action", args=[referral.public_id, action]), {}, {}))
    return requests


def _seen(response) -> bool:
    text = response.content.decode() + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return PART2 in text


@pytest.mark.parametrize("username", NOT_ENTITLED)
def test_part2_note_never_reaches_anyone_not_treating_the_person(client, login, case, username):
    login(username)
    for method, path, data, headers in _requests(case):
        response = client.get(path, headers=headers) if method == "GET" else client.post(path, data, headers=headers)
        assert not _seen(response), (username, method, path, headers, response.status_code)


def test_team_member_holding_the_referral_sees_its_ordinary_notes_but_not_its_part2_note(client, login, case):
    login("clinician.b2b")
    response = client.get(reverse("referrals:case", args=[case.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert ORDINARY in html
    assert PART2 not in html
    assert "data-disclosures" not in html  # nor that a Part 2 record exists


@pytest.mark.parametrize("username", ENTITLED)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "partial"])
def test_assignee_and_supervisor_with_the_permission_read_the_part2_note(client, login, case, username, htmx):
    user = login(username)
    assert user.has_perm(part2.PART2_PERMISSION) is (username == "clinician.supervisor")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(reverse("referrals:case", args=[case.public_id]), headers=headers)
    assert response.status_code == 200
    assert PART2 in response.content.decode()


def test_supervisor_without_the_part2_permission_does_not_read_it(client, login, case, personas):
    supervisor = personas["clinician.supervisor"]
    for group in supervisor.groups.filter(permissions__codename="view_part2"):
        group.permissions.remove(*group.permissions.filter(codename="view_part2"))
    login("clinician.supervisor")
    html = client.get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert ORDINARY in html
    assert PART2 not in html


def test_reassignment_moves_part2_reading_with_the_case(client, login, case, personas):
    from referrals.workflows.co_response import services as co_response

    co_response.referral_reassign(
        referral=case, actor=personas["clinician.supervisor"], clinician=personas["clinician.c11"], reason="Shift end"
    )
    login("clinician.b2")  # no longer on the case (still on the holding team)
    assert PART2 not in client.get(reverse("referrals:case", args=[case.public_id])).content.decode()
    login("clinician.c11")
    assert PART2 in client.get(reverse("referrals:case", args=[case.public_id])).content.decode()


def test_part2_note_never_goes_into_hints_notifications_events_or_log_lines(case, hints_sent, caplog):
    assert hints_sent, "the hints were not captured"
    assert PART2 not in repr(hints_sent)
    assert not Notification.objects.filter(text__contains="QZ-9031").exists()
    assert not ReferralEvent.objects.filter(message__contains="QZ-9031").exists()
    assert PART2 not in caplog.text


def test_rerouted_referrals_new_partner_never_sees_the_part2_note(client, login, case, personas):
    onward = services.referral_reroute(
        referral=case,
        actor=personas["clinician.b2"],
        program=Program.objects.get(slug="youthconnect"),
        reason="Needs a youth worker",
    )
    login("youth.supervisor")
    response = client.get(reverse("referrals:case", args=[onward.public_id]))
    assert response.status_code == 200
    assert PART2 not in response.content.decode()
    assert client.get(reverse("referrals:case", args=[case.public_id])).status_code == 404


# --- consented disclosures ------------------------------------------------------------------------------------


def _consent(referral, actor, **overrides) -> Part2Consent:
    values = {
        "giver_name": "Ansel Thrupp",
        "recipient": RECIPIENT,
        "purpose": "Continuing medication treatment",
        "information": "Medication and dose",
    }
    return part2.part2_consent_record(referral=referral, actor=actor, **{**values, **overrides})


def _state():
    return (Disclosure.objects.count(), ClinicalAccessLog.objects.count(), ReferralEvent.objects.count())


def test_disclosure_without_a_part2_consent_is_refused_and_changes_nothing(case, personas):
    before = _state()
    with pytest.raises(ReferralError, match="No Part 2 consent"):
        part2.part2_disclose(note=case.part2_note, actor=personas["clinician.b2"], recipient=RECIPIENT, consent=None)
    assert _state() == before


@pytest.mark.parametrize("problem", ["revoked", "expired", "another recipient", "another person's"])
def test_disclosure_under_a_consent_not_in_force_for_it_is_refused_and_changes_nothing(case, personas, problem):
    clinician = personas["clinician.b2"]
    if problem == "another person's":
        other = advance(file_referral(personas["officer.b2"], "B2"), clinician, "accepted")
        consent = _consent(other, clinician)
    else:
        consent = _consent(case, clinician)
    if problem == "revoked":
        Part2Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
        consent.refresh_from_db()
    if problem == "expired":
        Part2Consent.objects.filter(pk=consent.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
        consent.refresh_from_db()
    recipient = "Officer Dana Reyes" if problem == "another recipient" else RECIPIENT
    before = _state()
    with pytest.raises(ReferralError):
        part2.part2_disclose(note=case.part2_note, actor=clinician, recipient=recipient, consent=consent)
    assert _state() == before


def test_disclosure_by_someone_not_treating_the_person_is_refused(case, personas):
    consent = _consent(case, personas["clinician.b2"])
    before = _state()
    with pytest.raises(Refused):
        part2.part2_disclose(
            note=case.part2_note, actor=personas["clinician.b2b"], recipient=RECIPIENT, consent=consent
        )
    assert _state() == before


def test_part2_consent_is_recorded_only_by_the_treating_staff(case, personas):
    with pytest.raises(Refused):
        _consent(case, personas["clinician.b2b"])
    with pytest.raises(ReferralError, match="recipient"):
        _consent(case, personas["clinician.b2"], recipient="  ")
    assert Part2Consent.objects.count() == 0


def test_consented_disclosure_carries_the_notice_and_is_in_the_accounting(client, login, case, personas):
    consent = _consent(case, personas["clinician.b2"])
    disclosure = part2.part2_disclose(
        note=case.part2_note, actor=personas["clinician.b2"], recipient=RECIPIENT.upper(), consent=consent
    )
    assert (disclosure.referral, disclosure.note, disclosure.consent, disclosure.recipient) == (
        case,
        case.part2_note,
        consent,
        RECIPIENT,
    )
    assert disclosure.notice == part2.REDISCLOSURE_NOTICE
    assert part2.REDISCLOSURE_NOTICE.startswith(NOTICE_START)
    assert "42 CFR 2.31" in part2.REDISCLOSURE_NOTICE
    packet = part2.disclosure_packet(disclosure)
    assert packet.startswith(PART2) and packet.endswith(part2.REDISCLOSURE_NOTICE)
    assert list(part2.accounting_of_disclosures(case)) == [disclosure]

    login("clinician.supervisor")
    case_page = client.get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert "data-disclosures" in case_page
    response = client.get(reverse("referrals:disclosures", args=[case.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-disclosure="{disclosure.pk}"' in html
    assert "Codman Square Health Center" in html
    assert PART2 not in html  # the accounting says what went, not the record itself
    assert ClinicalAccessLog.objects.filter(view="referrals:disclosures").count() == 1


@pytest.mark.parametrize("username", ["clinician.b2b", "clinician.c11", "youth.supervisor"])
def test_accounting_page_is_404_for_partner_staff_not_reading_part2(client, login, case, username):
    login(username)
    assert client.get(reverse("referrals:disclosures", args=[case.public_id])).status_code == 404


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2", "agency.school"])
def test_accounting_page_is_403_for_everyone_else(client, login, case, username):
    login(username)
    assert client.get(reverse("referrals:disclosures", args=[case.public_id])).status_code == 403


# --- retention of the accounting -------------------------------------------------------------------------------


@pytest.fixture
def disclosure(case, personas):
    consent = _consent(case, personas["clinician.b2"])
    return part2.part2_disclose(
        note=case.part2_note, actor=personas["clinician.b2"], recipient=RECIPIENT, consent=consent
    )


def test_retention_is_at_least_three_years():
    assert settings.DISCLOSURE_RETENTION_DAYS >= 3 * 365


def test_purge_refuses_disclosure_rows_younger_than_three_years(disclosure):
    with pytest.raises(PermissionError, match="kept"):
        part2.disclosures_purge(before=timezone.now())
    with pytest.raises(PermissionError, match="kept"):
        part2.disclosures_purge(before=timezone.now() - timedelta(days=3 * 365))
    for delete in (disclosure.delete, Disclosure.objects.filter(pk=disclosure.pk).delete):
        with pytest.raises(PermissionError, match="append-only"):
            delete()
    with pytest.raises(PermissionError, match="append-only"):
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient="someone else")
    assert list(Disclosure.objects.values_list("pk", "recipient")) == [(disclosure.pk, RECIPIENT)]


def test_purge_deletes_only_rows_beyond_the_retention_period(case, personas, disclosure):
    consent = disclosure.consent
    four_years_ago = timezone.now() - timedelta(days=4 * 366)
    with mock.patch("django.utils.timezone.now", return_value=four_years_ago):
        old = part2.part2_disclose(
            note=case.part2_note, actor=personas["clinician.b2"], recipient=RECIPIENT, consent=consent
        )
    assert part2.disclosures_purge(before=part2.retention_cutoff()) == 1
    assert list(Disclosure.objects.values_list("pk", flat=True)) == [disclosure.pk]
    assert old.pk != disclosure.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM referrals_disclosure WHERE id = %s", "UPDATE referrals_disclosure SET recipient = 'x' WHERE id = %s"],
)
def test_database_refuses_raw_change_of_a_young_disclosure_row_on_postgresql(disclosure, sql):
    with pytest.raises(DatabaseError, match="kept three years"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [disclosure.pk])
    assert Disclosure.objects.filter(pk=disclosure.pk, recipient=RECIPIENT).exists()
