"""Two clinicians press "accept" on the same request at the same moment, on real concurrent connections.

On SQLite the second writer waits at BEGIN IMMEDIATE; on PostgreSQL it waits on the row lock. Either way it then
reads the committed state and is told who won. On PostgreSQL that lock is the request's row only: a write to one
request never waits for a write to another.
"""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection

from referrals import services
from referrals.models import CoResponseState, Referral, ReferralEvent
from referrals.services import ReferralError, referral_accept
from tests.referrals.services import file_referral, user_grants

ROUNDS = 10
RIVALS = {"clinician.b2": "Jordan Lee", "clinician.supervisor": "Alex Moreau"}


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
        referral = file_referral(personas)

        outcomes = _accept_at_once(referral.pk, clinicians)

        assert set(outcomes) == set(RIVALS)
        (winner,) = [username for username, error in outcomes.items() if error is None]
        (loser,) = set(RIVALS) - {winner}
        assert type(outcomes[loser]) is ReferralError
        assert str(outcomes[loser]) == f"{RIVALS[winner]} has already accepted this request."
        referral.refresh_from_db()
        assert (referral.state, referral.accepted_by) == (CoResponseState.ACCEPTED, personas[winner])
        accepted = ReferralEvent.objects.filter(referral=referral, kind=ReferralEvent.Kind.ACCEPTED)
        assert [(event.actor, event.from_state) for event in accepted] == [
            (personas[winner], CoResponseState.REQUESTED)
        ]
        assert user_grants(referral) == [(personas[winner].pk, "change_clinical")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL; SQLite has one writer at a time")
def test_an_accept_in_progress_does_not_hold_up_an_accept_of_another_request_on_postgresql(personas):
    slow, quick = file_referral(personas), file_referral(personas)
    inside, release = threading.Event(), threading.Event()
    grant_change = services._grant_change

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
    with mock.patch.object(services, "_grant_change", grant_change_pausing_on_slow):
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
