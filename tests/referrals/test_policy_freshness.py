"""The policy answers from what a page loaded, once per loaded referral; a service's answer never does.

A page asks the policy several times about one referral (its buttons): what the user is to it is worked out once
for that loaded row, the team-grant probe only when an answer depends on it, and the case page's own query brings
what the answers read. A service locks and re-reads the row first, so whatever a page's copy says, stale or
wrong, cannot let a refused action through.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.selectors import memberships_of
from referrals import policy, services
from referrals.errors import Refused
from referrals.models import Referral
from referrals.selectors import get_referral_for_user
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import CoResponseState, Disposition, FollowUp
from tests.referrals.services import assert_refused, reach, team_of

S = CoResponseState

pytestmark = pytest.mark.django_db


def _loaded(referral: Referral) -> Referral:
    """The referral as a list or a police page loads it: the envelope and its state, nothing the policy keeps."""
    return Referral.objects.select_related("program", "co_response").get(pk=referral.pk)


def _grant_probes(queries) -> int:
    return sum("referralgroupobjectpermission" in query["sql"] for query in queries.captured_queries)


def _follow_up(referral: Referral, actor) -> FollowUp:
    due = timezone.now() + timedelta(days=1)
    return co_response.follow_up_add(referral=referral, actor=actor, kind=FollowUp.Kind.PHONE_CALL, due_at=due)


# --- once per loaded referral ---------------------------------------------------------------------------------


def test_a_holders_many_answers_on_one_loaded_referral_probe_the_grants_once(personas):
    clinician = personas["clinician.b2"]
    referral = _loaded(reach(personas, S.REQUESTED))

    with CaptureQueriesContext(connection) as queries:
        assert policy.can(clinician, "accept", referral)
        assert policy.can(clinician, "decline", referral)
        assert policy.allowed_actions(clinician, referral, side="partner") == ["accept", "decline"]
        assert policy.relations(clinician, referral) == {"holder"}

    assert _grant_probes(queries) == 1


def test_the_grant_probe_is_skipped_when_a_cheaper_relation_decides(personas):
    supervisor, clinician = personas["clinician.supervisor"], personas["clinician.b2"]
    waiting = _loaded(reach(personas, S.REQUESTED))
    accepted = _loaded(reach(personas, S.ACCEPTED))

    with CaptureQueriesContext(connection) as queries:
        assert policy.can(supervisor, "accept", waiting)  # a supervisor of the partner: no need to ask the grants
        assert policy.can(clinician, "depart", accepted)  # only the assignee may: the grants cannot change that
        assert "accept" not in policy.allowed_actions(clinician, accepted, side="partner")  # closed in the state

    assert _grant_probes(queries) == 0


def test_the_case_pages_selector_brings_the_holder_answer_with_the_row(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.REQUESTED)
    memberships_of(clinician)  # loaded once per request, before any page's own query

    with CaptureQueriesContext(connection) as queries:
        loaded = get_referral_for_user(clinician, referral.public_id)
        assert policy.allowed_actions(clinician, loaded, side="partner") == ["accept", "decline"]

    assert len(queries) == 1


# --- a service never answers from a page's copy ---------------------------------------------------------------


def test_a_page_copy_that_says_holder_does_not_let_an_accept_through_after_a_transfer(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.REQUESTED)
    page_copy = get_referral_for_user(clinician, referral.public_id)
    assert policy.can(clinician, "accept", page_copy)

    co_response.referral_transfer(
        referral=referral,
        actor=personas["clinician.supervisor"],
        district=team_of("C11").district,
        reason="Nearest free clinician",
    )

    assert_refused(
        lambda: co_response.referral_accept(referral=page_copy, actor=clinician),
        referral,
        Refused("Only the partner team holding this request can do that."),
    )


def test_a_page_copy_that_says_assignee_does_not_let_a_depart_through_after_a_reassignment(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.ACCEPTED)
    page_copy = get_referral_for_user(clinician, referral.public_id)
    assert policy.can(clinician, "depart", page_copy)

    co_response.referral_reassign(
        referral=referral, actor=personas["clinician.supervisor"], clinician=personas["clinician.c11"], reason="Shift"
    )

    assert_refused(
        lambda: co_response.referral_depart(referral=page_copy, actor=clinician, eta_minutes=10),
        referral,
        Refused("Only the clinician who accepted this request can do that."),
    )


def test_a_reload_forgets_what_the_policy_knew_of_the_row(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.REQUESTED)
    page_copy = get_referral_for_user(clinician, referral.public_id)
    assert policy.can(clinician, "accept", page_copy)

    clinician.groups.remove(team_of("B2").group)  # off the B2 team: the grant no longer reaches them
    page_copy.refresh_from_db()

    assert not policy.can(clinician, "accept", page_copy)
    assert_refused(
        lambda: co_response.referral_accept(referral=page_copy, actor=clinician),
        referral,
        Refused("Only the partner team holding this request can do that."),
    )


def test_a_page_copy_whose_record_shows_a_disposition_does_not_let_finish_through_without_one(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.ON_SCENE)
    page_copy = get_referral_for_user(clinician, referral.public_id)
    page_copy.clinical_record.disposition = Disposition.STABILISED  # a copy the database does not agree with
    assert policy.can(clinician, "finish", page_copy)  # the page reads its own row...

    assert_refused(  # ...the service reads the database
        lambda: co_response.referral_finish(referral=page_copy, actor=clinician),
        referral,
        "Record a disposition before closing.",
    )


def test_a_page_copy_loaded_before_a_follow_up_was_added_does_not_let_finish_through(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.FOLLOW_UP)
    co_response.follow_up_complete(
        follow_up=referral.follow_ups.get(), actor=clinician, outcome=FollowUp.Outcome.REACHED
    )
    page_copy = get_referral_for_user(clinician, referral.public_id)
    assert policy.can(clinician, "finish", page_copy)  # nothing open when the page loaded it

    _follow_up(referral, clinician)

    assert_refused(
        lambda: co_response.referral_finish(referral=page_copy, actor=clinician),
        referral,
        "Complete the open follow-ups before closing.",
    )
    page_copy.refresh_from_db()
    assert not policy.can(clinician, "finish", page_copy)


def test_a_service_after_another_in_the_same_request_answers_on_fresh_data(personas):
    """Two writes in one request: the second one's check reads what the first one changed."""
    clinician, supervisor = personas["clinician.b2"], personas["clinician.supervisor"]
    referral = reach(personas, S.ACCEPTED)
    page_copy = get_referral_for_user(clinician, referral.public_id)
    assert policy.can(clinician, "depart", page_copy)

    moved = co_response.referral_reassign(
        referral=page_copy, actor=supervisor, clinician=personas["clinician.c11"], reason="Shift"
    )

    assert not policy.can(clinician, "depart", moved)
    assert policy.can(personas["clinician.c11"], "depart", moved)
    with pytest.raises(Refused):
        services.clinical_note_add(referral=moved, actor=clinician, text="Still mine?")
