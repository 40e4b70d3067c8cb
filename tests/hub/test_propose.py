"""Filter 1: proposing a situation, its idempotency key, its link to a referral, its de-identified description."""

from __future__ import annotations

import uuid

import pytest

from hub import services
from hub.models import AffectedIdentity, Situation, SituationEvent
from hub.selectors import situations_visible_to
from notifications.models import Notification
from referrals.errors import ReferralError, Refused
from tests.hub import NAME
from tests.referrals.factories import file_referral


def test_a_double_submit_makes_one_situation(hub_seed):
    key = uuid.uuid4()
    first = hub_seed.propose(key=key)
    again, created = services.situation_propose(
        table=hub_seed.table,
        actor=hub_seed.users["officer"],
        idempotency_key=key,
        discussion_type="person",
        description="Anything",
        persons=[],
        risk_factors=[],
    )
    assert (again.pk, created) == (first.pk, False)
    assert Situation.objects.count() == 1
    assert SituationEvent.objects.filter(situation=first).count() == 1


def test_a_key_reused_by_someone_else_is_refused(hub_seed):
    key = uuid.uuid4()
    hub_seed.propose(key=key)
    with pytest.raises(ReferralError, match="already used"):
        hub_seed.propose("housing", key=key)


def test_public_references_count_up_within_the_year(hub_seed):
    first, second = hub_seed.propose(), hub_seed.propose()
    assert int(second.public_id.rsplit("-", 1)[1]) == int(first.public_id.rsplit("-", 1)[1]) + 1


def test_the_officer_proposes_for_the_police_and_holds_the_identity(hub_seed):
    situation = hub_seed.propose("officer")
    assert situation.originating == hub_seed.agencies["police"]
    assert AffectedIdentity.objects.get(person__situation=situation).full_name == NAME
    assert Notification.objects.filter(user=hub_seed.coordinator, text__contains=situation.public_id).exists()
    assert not Notification.objects.filter(text__contains=NAME.split()[0]).exists()


def test_an_officer_links_only_a_referral_they_filed(hub_seed, personas):
    own = file_referral(personas["officer.b2"], "B2", subject_name="Someone Else")
    other = file_referral(personas["officer.d4"], "D4")
    situation = hub_seed.propose("officer", referral=own)
    assert situation.referral == own
    with pytest.raises(Refused, match="filed yourself"):
        hub_seed.propose("officer", referral=other)


def test_someone_not_at_the_table_cannot_propose(hub_seed):
    for who in ("clinician", "coordinator"):
        with pytest.raises(Refused):
            hub_seed.propose(who)


@pytest.mark.parametrize(
    "description",
    [
        f"{NAME} is missing school",
        "Lives at 40 Sample Rd with an uncle",
        "Born 17/05/2008, missing school",
        "Mother's number 617-555-0123",
        "x" * 501,
        "   ",
    ],
)
def test_the_description_is_refused_when_it_identifies_someone(hub_seed, description):
    with pytest.raises(ReferralError):
        hub_seed.propose(description=description)
    assert not Situation.objects.exists()


def test_input_is_checked(hub_seed):
    with pytest.raises(ReferralError, match="risk factor"):
        hub_seed.propose(risk_factors=[])
    with pytest.raises(ReferralError, match="discussion type"):
        hub_seed.propose(discussion_type="crowd")
    with pytest.raises(ReferralError, match="affected person"):
        hub_seed.propose(persons=[])
    hub_seed.propose(discussion_type="location", persons=[], description="Vacant lot used for drug dealing.")


def test_a_proposed_situation_is_seen_by_its_originator_and_the_coordinator_only(hub_seed):
    seed = hub_seed
    situation = seed.propose("housing")
    for who, sees in (("housing", True), ("coordinator", True), ("school", False), ("officer", False)):
        assert situations_visible_to(seed.users[who]).filter(pk=situation.pk).exists() is sees, who
    seed.to_state(situation, "on_agenda")
    assert situations_visible_to(seed.users["school"]).filter(pk=situation.pk).exists()
    assert not situations_visible_to(seed.users["clinician"]).exists()
