"""Casework: consent gate and override, the revocation cascade, repeat referrals kept inside one organisation,
the first-contact deadline (the trauma line's 30 minutes), and the re-route between programs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.utils import timezone

from notifications.models import Notification
from programs.models import Program
from referrals import consent, policy, services
from referrals.errors import ReferralError, Refused
from referrals.models import (
    ClinicalNote,
    Consent,
    Phase,
    PoliceStatus,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
)
from referrals.selectors import get_referral_for_user, queue_for, referrals_for_partner
from referrals.workflows.casework import services as casework
from referrals.workflows.casework.models import CaseworkCase, CaseworkState, CloseReason, ContactAttempt
from referrals.workflows.co_response import services as co_response
from tests.referrals.factories import file_casework, file_referral

pytestmark = pytest.mark.django_db


def _engage(referral, worker):
    referral = casework.referral_assign(referral=referral, actor=worker)
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="no_answer")
    casework.contact_attempt_add(referral=referral, actor=worker, method="home_visit", outcome="reached")
    return casework.referral_engage(referral=referral, actor=worker, tier="2")


def test_a_referral_reaches_the_station_team_and_ends_connected(personas):
    officer, worker = personas["officer.d4"], personas["youth.e13"]
    referral = file_casework(officer, "E13")
    assert referral.team.district.code == "E13" and referral.phase == Phase.WAITING
    assert [r.pk for r in queue_for(user=worker)["waiting"]] == [referral.pk]
    referral = _engage(referral, worker)
    assert (referral.police_status, referral.phase) == (PoliceStatus.ACCEPTED, Phase.ACTIVE)
    assert ContactAttempt.objects.filter(referral=referral).count() == 2
    referral = casework.referral_close(referral=referral, actor=worker, reason=CloseReason.GOALS_MET)
    assert (referral.police_status, referral.phase) == (PoliceStatus.CLOSED_CONNECTED, Phase.ENDED)
    # Police see the statuses; never the contact attempts, the tier or who declined.
    police_kinds = set(referral.events.filter(police_visible=True).values_list("kind", flat=True))
    assert police_kinds == {"filed", "engaged", "closed"}


def test_the_consent_gate_blocks_engaging_and_says_who_can_override(personas):
    officer, worker, supervisor = personas["officer.d4"], personas["youth.e13"], personas["youth.supervisor"]
    referral = file_casework(officer, "E13", consent="not_yet", subject_age=15)
    referral = casework.referral_assign(referral=referral, actor=worker)
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="reached")
    with pytest.raises(ReferralError) as blocked:
        casework.referral_engage(referral=referral, actor=worker, tier="2")
    assert "Consent needed" in str(blocked.value)
    assert supervisor.get_full_name() in str(blocked.value)  # who can override
    assert CaseworkCase.objects.get(referral=referral).state == CaseworkState.CONTACT_ATTEMPTED
    # A 15-year-old's own word does not count where the program needs a guardian's below 16.
    with pytest.raises(ReferralError, match="guardian consents"):
        consent.consent_record(referral=referral, actor=worker, given_by=Consent.GivenBy.PERSON)
    consent.consent_record(referral=referral, actor=worker, given_by=Consent.GivenBy.GUARDIAN, giver_name="Ana")
    referral = casework.referral_engage(referral=referral, actor=worker, tier="2")
    assert referral.police_status == PoliceStatus.ACCEPTED


def test_an_override_needs_the_permission_and_a_reason(personas):
    officer, worker, supervisor = personas["officer.d4"], personas["youth.e13"], personas["youth.supervisor"]
    referral = file_casework(officer, "E13", consent="not_yet")
    referral = casework.referral_assign(referral=referral, actor=worker)
    with pytest.raises(Refused, match="override consent"):
        consent.consent_override(referral=referral, actor=worker, reason="Imminent risk")
    assert not Consent.objects.filter(referral=referral).exists()
    with pytest.raises(ReferralError, match="reason"):
        consent.consent_override(referral=referral, actor=supervisor, reason="  ")
    consent.consent_override(referral=referral, actor=supervisor, reason="Imminent risk of retaliation")
    row = Consent.objects.get(referral=referral)
    assert (row.given_by, row.recorded_by) == (Consent.GivenBy.OVERRIDE, supervisor)
    assert referral.events.filter(kind="consent_overridden", police_visible=False).exists()
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="reached")
    assert casework.referral_engage(referral=referral, actor=worker, tier="4").police_status == PoliceStatus.ACCEPTED
    # The permission, not the role, decides: a supervisor without it is refused too.
    supervisor.user_permissions.remove(Permission.objects.get(codename="override_consent"))
    other = casework.referral_assign(referral=file_casework(officer, "E13", consent="not_yet"), actor=worker)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)  # fresh permission cache
    assert not policy.can(supervisor, "consent_override", other)


def test_revoking_consent_cascades_in_one_transaction(personas):
    officer, worker = personas["officer.d4"], personas["youth.e13"]
    referral = _engage(file_casework(officer, "E13"), worker)
    total = Referral.objects.count()
    assert ReferralGroupObjectPermission.objects.filter(content_object=referral).exists()
    referral = consent.consent_revoke(referral=referral, actor=worker)
    case = CaseworkCase.objects.get(referral=referral)
    assert (case.state, case.close_reason) == (CaseworkState.CLOSED, CloseReason.CONSENT_REVOKED)
    referral.refresh_from_db()
    assert (referral.police_status, referral.phase, referral.due_at) == (
        PoliceStatus.CLOSED_DECLINED,
        Phase.ENDED,
        None,
    )
    assert referral.get_police_status_display() == "Closed — declined"
    # Every grant ended at once; the worker can no longer open it; the count keeps it.
    assert not ReferralGroupObjectPermission.objects.filter(content_object=referral).exists()
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()
    assert not referrals_for_partner(user=worker).filter(pk=referral.pk).exists()
    assert Referral.objects.count() == total
    event = referral.events.get(kind="consent_revoked")
    assert event.police_visible and event.actor == worker
    assert Consent.objects.get(referral=referral).revoked_at is not None
    # Nothing further can be done on it.
    with pytest.raises((ReferralError, Refused)):
        casework.goal_add(referral=referral, actor=worker, area="safety")


def test_revoking_a_waiting_referral_cancels_its_deadline(personas):
    referral = file_casework(personas["officer.d4"], "E13")
    assert referral.due_at is not None
    consent.consent_revoke(referral=referral, actor=personas["youth.supervisor"])
    referral.refresh_from_db()
    assert referral.due_at is None and referral.police_status == PoliceStatus.CLOSED_DECLINED
    assert casework.first_contacts_escalate_due(timezone.now() + timedelta(days=30)) == 0
    assert not referral.events.filter(kind="first_contact_overdue").exists()


def test_a_repeat_referral_is_seen_by_the_same_organisation_only(personas):
    from django.test import Client

    officer = personas["officer.d4"]
    born = date(2010, 6, 1)
    first = file_casework(officer, "E13", subject_name="Jamie  O'Neil", date_of_birth=born)
    second = file_casework(officer, "E13", subject_name="oneil jamie", date_of_birth=born)
    other_org = file_casework(
        officer,
        "E13",
        program="dv-advocacy",
        subject_name="Jamie O'Neil",
        date_of_birth=born,
        subject_age=19,
        consent="person",
    )
    assert first.casework_person.fingerprint == second.casework_person.fingerprint
    assert other_org.casework_person.fingerprint not in ("", first.casework_person.fingerprint)
    worker = Client()
    worker.force_login(personas["youth.e13"])
    page = worker.get(f"/queue/{second.public_id}/").content.decode()
    assert "Referred to us before: 1 time" in page
    assert "Referred to us before" not in worker.get(f"/queue/{first.public_id}/").content.decode()
    advocate = Client()
    advocate.force_login(personas["advocate.fjc"])
    assert "Referred to us before" not in advocate.get(f"/queue/{other_org.public_id}/").content.decode()
    officer_client = Client()
    officer_client.force_login(officer)
    for referral in (first, second, other_org):
        assert "before" not in officer_client.get(f"/referrals/{referral.public_id}/").content.decode()


def test_the_trauma_call_back_escalates_after_30_minutes_exactly_once(personas, django_capture_on_commit_callbacks):
    program = Program.objects.get(slug="trauma-callback")
    assert (program.first_contact_amount, program.first_contact_unit) == (30, "minutes")
    referral = file_casework(personas["officer.b2"], "B2", program="trauma-callback", subject_age=30, consent="person")
    filed = referral.due_at - timedelta(minutes=30)
    assert abs(referral.due_at - (referral.created_at + timedelta(minutes=30))) < timedelta(seconds=2)
    assert casework.first_contacts_escalate_due(filed + timedelta(minutes=29)) == 0
    notices = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert casework.first_contacts_escalate_due(filed + timedelta(minutes=31)) == 1
    assert casework.first_contacts_escalate_due(filed + timedelta(minutes=32)) == 0
    referral.refresh_from_db()
    assert referral.due_at is None and referral.events.filter(kind="first_contact_overdue").count() == 1
    told = Notification.objects.filter(user__username="trauma.supervisor", kind="escalated")
    assert told.count() == 1 and "first contact overdue" in told.get().text
    assert "Hannah" not in told.get().text and Notification.objects.count() > notices
    assert CaseworkCase.objects.get(referral=referral).escalated_at is not None


def test_a_first_contact_attempt_meets_the_deadline(personas):
    worker = personas["youth.e13"]
    referral = casework.referral_assign(referral=file_casework(personas["officer.d4"], "E13"), actor=worker)
    casework.contact_attempt_add(referral=referral, actor=worker, method="text", outcome="left_message")
    referral.refresh_from_db()
    assert referral.due_at is None
    assert casework.first_contacts_escalate_due(timezone.now() + timedelta(days=30)) == 0


def test_a_co_response_call_re_routed_to_youthconnect_keeps_its_records(personas):
    clinician, officer = personas["clinician.b2"], personas["officer.b2"]
    call = file_referral(officer, "B2", subject_name="Jamie Example", subject_age=15)
    co_response.referral_accept(referral=call, actor=clinician)
    services.clinical_note_add(referral=call, actor=clinician, text="Private clinical observation")
    youthconnect = Program.objects.get(slug="youthconnect")
    onward = services.referral_reroute(
        referral=call, actor=clinician, program=youthconnect, reason="Needs a youth worker"
    )
    call.refresh_from_db()
    assert (call.police_status, call.phase) == (PoliceStatus.REROUTED, Phase.ENDED)
    assert onward.rerouted_from_id == call.pk and onward.program == youthconnect
    assert onward.subject.name == "Jamie Example"
    assert not ClinicalNote.objects.filter(referral=onward).exists()  # the first partner's notes stay with it
    # Twice: the same onward referral, never a second one.
    with pytest.raises((ReferralError, Refused)):
        services.referral_reroute(referral=call, actor=clinician, program=youthconnect, reason="again")
    assert Referral.objects.filter(rerouted_from=call).count() == 1
    # YouthConnect's worker never reads the co-response call.
    worker = personas["youth.supervisor"]
    assert referrals_for_partner(user=worker).filter(pk=onward.pk).exists()
    assert not referrals_for_partner(user=worker).filter(pk=call.pk).exists()
    with pytest.raises(Http404):
        get_referral_for_user(worker, call.public_id)
    assert ReferralEvent.objects.filter(referral=call, kind="rerouted", police_visible=True).exists()


def test_officer_cannot_take_worker_actions(personas):
    officer = personas["officer.d4"]
    referral = file_casework(officer, "E13")
    for service, kwargs in [
        (casework.referral_assign, {}),
        (consent.consent_revoke, {}),
    ]:
        with pytest.raises(Refused):
            service(referral=referral, actor=officer, **kwargs)
    assert CaseworkCase.objects.get(referral=referral).state == CaseworkState.SUBMITTED


def test_the_supervisor_sees_overdue_first_contacts_first(personas, client):
    from django.urls import reverse

    late = file_casework(personas["officer.d4"], "E13", subject_name="Late Example")
    on_time = file_casework(personas["officer.d4"], "E13")
    Referral.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(personas["youth.supervisor"])
    page = client.get(reverse("referrals:overdue")).content.decode()
    assert f'data-ref="{late.public_id}" data-overdue="first_contact"' in page
    assert on_time.public_id not in page
    assert "Late Example" not in page  # the list names the referral, not the person
    # A worker is not a supervisor: the overdue view is refused.
    client.force_login(personas["youth.e13"])
    assert client.get(reverse("referrals:overdue")).status_code == 403


def test_before_consent_the_case_page_shows_whom_to_ask_and_not_who_the_person_is(personas, client):
    referral = file_casework(
        personas["officer.d4"],
        "E13",
        consent="not_yet",
        subject_name="Quenby Example",
        subject_age=14,
        circumstances="Quenby lives above the bakery",
        guardian_name="Odile Guardian",
        guardian_phone="617-555-0133",
    )
    services.referral_add_information(referral=referral, actor=personas["officer.d4"], text="Quenby's brother is Tomas")
    client.force_login(personas["youth.e13"])
    url = f"/queue/{referral.public_id}/"
    page = client.get(url).content.decode()
    assert "Consent needed" in page and "Renee Baptiste" in page  # why, and who can override
    for secret in ("Quenby", "bakery", "Tomas", "12 Example St", "2011-03-14", "Mar 14, 2011"):
        assert secret not in page, secret
    assert "Odile Guardian" in page and "617-555-0133" in page  # whom to ask
    consent.consent_record(
        referral=referral, actor=personas["youth.supervisor"], given_by="guardian", giver_name="Odile"
    )
    page = client.get(url).content.decode()
    assert "Quenby Example" in page and "Tomas" in page and "12 Example St" in page


def test_after_withdrawal_no_one_sees_whom_to_ask_and_the_fingerprint_is_gone(personas, client):
    referral = file_casework(
        personas["officer.d4"], "E13", subject_name="Rhea Example", subject_age=19, consent="person"
    )
    assert referral.casework_person.fingerprint
    consent.consent_revoke(referral=referral, actor=personas["youth.supervisor"])
    referral.casework_person.refresh_from_db()
    assert referral.casework_person.fingerprint == ""
    client.force_login(personas["youth.supervisor"])
    page = client.get(f"/queue/{referral.public_id}/").content.decode()
    assert "Rhea" not in page and "617-555-0188" not in page
    again = file_casework(personas["officer.d4"], "E13", subject_name="Rhea Example", subject_age=19, consent="person")
    assert "Referred to us before" not in client.get(f"/queue/{again.public_id}/").content.decode()


def test_withdrawal_after_a_decline_keeps_the_final_status_police_saw(personas):
    worker = personas["youth.e13"]
    referral = casework.referral_assign(referral=file_casework(personas["officer.d4"], "E13"), actor=worker)
    referral = casework.referral_decline(referral=referral, actor=worker, declined_by="guardian")
    assert referral.police_status == PoliceStatus.DECLINED
    referral = consent.consent_revoke(referral=referral, actor=worker)
    assert (referral.police_status, referral.phase) == (PoliceStatus.DECLINED, Phase.ENDED)


def test_consent_to_identity_only_does_not_open_services(personas):
    worker = personas["youth.e13"]
    referral = casework.referral_assign(
        referral=file_casework(personas["officer.d4"], "E13", consent="not_yet"), actor=worker
    )
    consent.consent_record(referral=referral, actor=worker, given_by="guardian", giver_name="Ana", scope="identity")
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="reached")
    with pytest.raises(ReferralError, match="identity only"):
        casework.referral_engage(referral=referral, actor=worker, tier="1")


def test_a_later_consent_to_identity_only_does_not_close_services_an_override_opened(personas):
    """Whichever consent was given last, the widest one in force answers (found by the state machine: the newest
    row used to answer alone, so a guardian's identity-only consent after an override closed goals)."""
    worker, supervisor = personas["youth.e13"], personas["youth.supervisor"]
    referral = casework.referral_assign(
        referral=file_casework(personas["officer.d4"], "E13", consent="not_yet", subject_age=13), actor=worker
    )
    consent.consent_override(referral=referral, actor=supervisor, reason="Imminent risk of retaliation")
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="reached")
    referral = casework.referral_engage(referral=referral, actor=worker, tier="2")
    consent.consent_record(referral=referral, actor=worker, given_by="guardian", giver_name="Ana", scope="identity")
    casework.goal_add(referral=referral, actor=worker, area="family", text="Weekly family session")
    assert referral.goals.count() == 1
