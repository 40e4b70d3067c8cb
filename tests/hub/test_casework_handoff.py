"""From a Hub situation, a chosen agency opens a casework referral to its own program in one step."""

from __future__ import annotations

import pytest

from hub import events, services
from hub.models import SituationEvent
from programs.models import Program, Workflow
from referrals.errors import ReferralError, Refused
from referrals.workflows.casework.models import CaseworkPerson
from tests.hub import ADDRESS, DOB, NAME


@pytest.fixture
def housing_program(hub_seed):
    return Program.objects.create(
        name="BHA tenancy support",
        slug="bha-tenancy",
        organisation=hub_seed.agencies["housing"].organisation,
        workflow=Workflow.CASEWORK,
        uses_rosters=False,
    )


def test_a_chosen_agency_opens_a_referral_to_its_own_program_with_the_identity(hub_seed, housing_program):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention", lead="housing", assisting=("school",))
    referral = services.casework_referral_open(
        situation=situation, actor=seed.users["housing"], program=housing_program, consent="person"
    )
    assert referral.program == housing_program and referral.district == seed.table.district
    assert referral.subject.name == NAME and referral.subject.gender == "Male"
    person = CaseworkPerson.objects.get(referral=referral)
    assert (person.date_of_birth, person.address) == (DOB, ADDRESS)
    assert situation.public_id in referral.subject.circumstances
    again = services.casework_referral_open(situation=situation, actor=seed.users["housing"], program=housing_program)
    assert again.pk == referral.pk
    assert SituationEvent.objects.filter(situation=situation, kind=events.CASEWORK_OPENED).count() == 1


def test_only_to_its_own_program_and_only_while_chosen(hub_seed, housing_program):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention", lead="housing", assisting=("school",))
    with pytest.raises(ReferralError, match="its own casework program"):
        services.casework_referral_open(situation=situation, actor=seed.users["school"], program=housing_program)
    with pytest.raises(ReferralError, match="its own casework program"):
        services.casework_referral_open(
            situation=situation, actor=seed.users["housing"], program=Program.objects.get(slug="co-response")
        )
    with pytest.raises(Refused):
        services.casework_referral_open(situation=situation, actor=seed.users["health"], program=housing_program)
    concluded = seed.to_state(seed.propose(), "concluded", meeting=situation.decided_meeting)
    with pytest.raises(ReferralError):
        services.casework_referral_open(situation=concluded, actor=seed.users["housing"], program=housing_program)
