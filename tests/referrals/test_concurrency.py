"""Two clinicians press "accept" on the same request at the same moment, on real concurrent connections.

On SQLite the second writer waits at BEGIN IMMEDIATE; on PostgreSQL it waits on the row lock. Either way it then
reads the committed state and is told who won. On PostgreSQL that lock is the request's row only: a write to one
request never waits for a write to another; and a write that waited reads the request as the other one left it
(its team and assignee too), not as it was before the wait.
"""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection

from districts.models import District
from referrals import events
from referrals.errors import ReferralError, Refused
from referrals.models import PoliceStatus, Referral, ReferralEvent, ReferralUserObjectPermission
from referrals.workflows.co_response import services
from referrals.workflows.co_response.models import CoResponseCase, CoResponseState
from referrals.workflows.co_response.services import referral_accept
from tests.referrals.factories import file_referral

ROUNDS = 10
RIVALS = {"clinician.b2": "Jordan Lee", "clinician.supervisor": "Alex Moreau"}


def user_grants(referral: Referral) -> list[tuple[int, str]]:
    rows = ReferralUserObjectPermission.objects.filter(content_object=referral)
    return sorted(rows.values_list("user_id", "permission__codename"))


def _accept_at_once(referral_pk: int, clinicians: dict) -> dict[str, Exception | None]:
    """Each clinician, in a thread of their own, accepts the request as loaded before the race. Returns the
    outcome per username: None for success, the exception otherwise."""
    barrier = threading.Barrier(len(clinicians))
    outcomes: dict[str, Exception | None] = {}

    def attempt(username, user):
        try:
            referral = Referral.objects.get(pk=referral_pk)  # what each clinician's page had loaded
            barrier.wait(timeout=10)
            referral_accept(referral=referral, actor=user)
            outcomes[username] = None
        except Exception as error:
            outcomes[username] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=item) for item in clinicians.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_exactly_one_wins_and_the_other_is_told_who(personas):
    clinicians = {username: personas[username] for username in RIVALS}
    for _ in range(ROUNDS):
        referral = file_referral(personas["officer.b2"], "B2")

        outcomes = _accept_at_once(referral.pk, clinicians)

        assert set(outcomes) == set(RIVALS)
        (winner,) = [username for username, error in outcomes.items() if error is None]
        (loser,) = set(RIVALS) - {winner}
        assert type(outcomes[loser]) is ReferralError
        assert str(outcomes[loser]) == f"{RIVALS[winner]} has already accepted this request."
        referral.refresh_from_db()
        case = CoResponseCase.objects.get(referral=referral)
        assert (case.state, referral.assignee) == (CoResponseState.ACCEPTED, personas[winner])
        assert referral.police_status == PoliceStatus.ACCEPTED
        accepted = ReferralEvent.objects.filter(referral=referral, kind=events.ACCEPTED)
        assert [(event.actor, event.from_state) for event in accepted] == [
            (personas[winner], CoResponseState.REQUESTED)
        ]
        assert user_grants(referral) == [(personas[winner].pk, "change_clinical")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL; SQLite has one writer at a time")
def test_an_accept_in_progress_does_not_hold_up_an_accept_of_another_request_on_postgresql(personas):
    slow, quick = file_referral(personas["officer.b2"], "B2"), file_referral(personas["officer.b2"], "B2")
    inside, release = threading.Event(), threading.Event()
    grant_change = services.grant_change

    def grant_change_pausing_on_slow(referral, user):
        if referral.pk == slow.pk:  # the slow accept stops here, inside its transaction, its locks held
            inside.set()
            release.wait(timeout=10)
        grant_change(referral, user)

    def accept(referral, username, outcomes):
        try:
            referral_accept(referral=referral, actor=personas[username])
            outcomes.append("accepted")
        finally:
            connection.close()

    slow_outcome, quick_outcome = [], []
    with mock.patch.object(services, "grant_change", grant_change_pausing_on_slow):
        slow_thread = threading.Thread(target=accept, args=(slow, "clinician.b2", slow_outcome))
        slow_thread.start()
        assert inside.wait(timeout=10)
        quick_thread = threading.Thread(target=accept, args=(quick, "clinician.supervisor", quick_outcome))
        quick_thread.start()
        quick_thread.join(timeout=5)
        finished_while_slow_held_its_locks = not quick_thread.is_alive()
        release.set()
        slow_thread.join(timeout=10)
        quick_thread.join(timeout=10)

    assert finished_while_slow_held_its_locks
    assert (slow_outcome, quick_outcome) == (["accepted"], ["accepted"])


def _someone_waits_for_a_row_lock() -> bool:
    """Within 5 s, another connection is waiting for a lock (PostgreSQL's pg_stat_activity)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_an_accept_that_waited_for_a_transfer_is_refused_as_no_longer_the_clinicians_on_postgresql(personas):
    """The accept reads the request as the transfer left it (now C11's queue), not as it was before the wait."""
    referral = file_referral(personas["officer.b2"], "B2")
    c11 = District.objects.get(code="C11")
    inside, release = threading.Event(), threading.Event()
    grant_team = services.grant_team
    outcomes: dict[str, Exception | None] = {}

    def grant_team_pausing_in_the_transfer(referral, team):
        if threading.current_thread().name == "transfer":  # inside its transaction, the row locked
            inside.set()
            release.wait(timeout=10)
        grant_team(referral, team)

    def run(name, call):
        try:
            call()
            outcomes[name] = None
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    def transfer():
        services.referral_transfer(
            referral=Referral.objects.get(pk=referral.pk),
            actor=personas["clinician.supervisor"],
            district=c11,
            reason="Nearest free clinician",
        )

    def accept():
        referral_accept(referral=Referral.objects.get(pk=referral.pk), actor=personas["clinician.b2"])

    with mock.patch.object(services, "grant_team", grant_team_pausing_in_the_transfer):
        threads = [
            threading.Thread(target=run, name=name, args=(name, call))
            for name, call in (("transfer", transfer), ("accept", accept))
        ]
        threads[0].start()
        assert inside.wait(timeout=10)
        threads[1].start()
        waited = _someone_waits_for_a_row_lock()
        release.set()
        for thread in threads:
            thread.join(timeout=10)

    assert waited
    assert outcomes["transfer"] is None
    assert type(outcomes["accept"]) is Refused
    referral.refresh_from_db()
    assert (referral.team.district, referral.assignee) == (c11, None)
    assert CoResponseCase.objects.get(referral=referral).state == CoResponseState.TRANSFERRED
