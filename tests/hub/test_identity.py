"""The identity rule, under both reveal settings: who reads names, who reads everything, and when it ends."""

from __future__ import annotations

import pytest

from hub import services
from hub.models import HubAccessLog, Reveal, Situation, Table
from hub.selectors import identity_for
from tests.hub import ADDRESS, DOB, NAME

OTHERS = ("housing", "school", "health", "coordinator", "outsider", "clinician")


def scope(seed, who: str, situation: Situation):
    found = identity_for(seed.users[who], situation, view="test", reason="test")
    return None if found is None else found.scope


@pytest.mark.parametrize("state", ["proposed", "on_agenda", "rejected", "accepted_unrevealed"])
def test_before_filter_3_only_the_originating_agency_reads_the_identity(any_hub_seed, state):
    seed = any_hub_seed
    situation = seed.to_state(seed.propose(), state)
    assert scope(seed, "officer", situation) == "full"
    for who in OTHERS:
        assert scope(seed, who, situation) is None, who


def test_present_table_reveals_names_only_to_present_agencies_with_an_agreement(hub_seed):
    seed = hub_seed
    meeting = seed.meeting(present=("police", "housing", "health"))  # school absent
    situation = seed.to_state(seed.propose(), "accepted", meeting=meeting)

    revealed = set(
        Reveal.objects.filter(situation=situation).values_list("agency__organisation__short_name", flat=True)
    )
    assert revealed == {"BPD", "BHA"}  # BPHC present but without an agreement; BPS absent
    found = identity_for(seed.users["housing"], situation, view="test", reason="test")
    assert found.scope == "names"
    assert [(p.full_name, p.date_of_birth, p.address) for p in found.persons] == [(NAME, None, "")]
    for who in ("school", "health", "coordinator", "outsider"):
        assert scope(seed, who, situation) is None, who


def test_chosen_table_reveals_no_name_at_filter_3(strict_hub_seed):
    seed = strict_hub_seed
    situation = seed.to_state(seed.propose(), "accepted")
    assert not Reveal.objects.filter(situation=situation).exists()
    with pytest.raises(services.ReferralError):
        services.names_reveal(situation=situation, actor=seed.coordinator, meeting=situation.decided_meeting)
    for who in OTHERS:
        assert scope(seed, who, situation) is None, who


def test_in_intervention_only_chosen_agencies_read_everything(any_hub_seed):
    seed = any_hub_seed
    situation = seed.to_state(seed.propose(), "intervention", lead="housing", assisting=())
    found = identity_for(seed.users["housing"], situation, view="test", reason="test")
    assert found.scope == "full"
    assert [(p.full_name, p.date_of_birth, p.address) for p in found.persons] == [(NAME, DOB, ADDRESS)]
    # school had the names at filter 3 under PRESENT, but was not chosen: nothing now, under either setting
    for who in ("school", "health", "coordinator", "outsider", "clinician"):
        assert scope(seed, who, situation) is None, who
    assert scope(seed, "officer", situation) == "full"
    revealed = set(
        Reveal.objects.filter(situation=situation).values_list("agency__organisation__short_name", flat=True)
    )
    if seed.table.reveal == Table.Reveal.PRESENT:
        assert revealed == {"BPD", "BHA", "BPS"}
    else:
        assert revealed == {"BHA"}


def test_after_conclusion_only_the_originating_agency_holds_the_identity(any_hub_seed):
    seed = any_hub_seed
    situation = seed.to_state(seed.propose(), "concluded")
    for who in OTHERS:
        assert scope(seed, who, situation) is None, who
    assert scope(seed, "officer", situation) == "full"


def test_a_stale_copy_of_a_concluded_situation_reveals_nothing(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention")
    stale = Situation.objects.get(pk=situation.pk)
    from hub.models import ConclusionCode

    services.situation_conclude(
        situation=situation, actor=seed.coordinator, code=ConclusionCode.objects.filter(group="still_at_risk").first()
    )
    assert identity_for(seed.users["housing"], stale, view="test", reason="test") is None


def test_an_agency_without_an_agreement_cannot_be_chosen(any_hub_seed):
    seed = any_hub_seed
    situation = seed.to_state(seed.propose(), "accepted")
    with pytest.raises(services.ReferralError, match="no information-sharing agreement"):
        services.agencies_choose(situation=situation, actor=seed.coordinator, lead=seed.agencies["health"])
    assert not Reveal.objects.filter(situation=situation, agency=seed.agencies["health"]).exists()


def test_every_read_of_the_identity_is_logged_and_refusals_are_not(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention")
    identity_for(seed.users["housing"], situation, view="hub:situation", reason="door knock")
    identity_for(seed.users["officer"], situation, view="hub:situation", reason="originating")
    identity_for(seed.users["school"], situation, view="hub:situation", reason="curious")
    rows = list(HubAccessLog.objects.filter(situation=situation).order_by("pk").values_list("user__username", "scope"))
    assert rows == [("agency.housing", "full"), ("officer.b2", "full")]


def test_every_reveal_is_logged_once_per_agency(hub_seed):
    seed = hub_seed
    meeting = seed.meeting()
    situation = seed.to_state(seed.propose(), "accepted", meeting=meeting)
    with pytest.raises(services.ReferralError, match="already shared"):
        services.names_reveal(situation=situation, actor=seed.coordinator, meeting=meeting)
    services.agencies_choose(
        situation=situation, actor=seed.coordinator, lead=seed.agencies["housing"], assisting=[seed.agencies["school"]]
    )
    counts = list(Reveal.objects.filter(situation=situation).values_list("agency__organisation__short_name", "meeting"))
    assert sorted(c[0] for c in counts) == ["BHA", "BPD", "BPS"]
    with pytest.raises(PermissionError):
        Reveal.objects.filter(situation=situation).delete()
