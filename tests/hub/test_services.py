"""Every transition of a situation, and the refusals around each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hub import events, policy, services
from hub.models import (
    AgendaItem,
    ConclusionCode,
    OutcomeCheck,
    Response,
    Service,
    Situation,
    SituationEvent,
    SituationState,
    StatusUpdate,
)
from referrals.errors import ReferralError, Refused
from tests.hub import NAME


def kinds(situation) -> list[str]:
    return list(SituationEvent.objects.filter(situation=situation).order_by("pk").values_list("kind", flat=True))


def test_the_whole_path_writes_one_event_per_change(hub_seed):
    seed = hub_seed
    situation = seed.propose()
    assert situation.state == SituationState.PROPOSED
    assert situation.public_id.startswith(f"H-{timezone.localdate().year}-")
    situation = seed.to_state(situation, "intervention")
    assert situation.state == SituationState.INTERVENTION
    assert situation.door_knock_due_at is not None
    housing = seed.users["housing"]
    planned = timezone.now() + timedelta(hours=20)
    services.door_knock_plan(
        situation=situation, actor=housing, agencies=[seed.agencies["housing"]], planned_for=planned
    )
    situation = services.door_knock_log(situation=situation, actor=housing, response=Response.ACCEPTED)
    assert situation.door_knock_due_at is None and situation.response == Response.ACCEPTED
    services.status_update_add(
        situation=situation,
        actor=housing,
        text="Engaged with housing support; school meeting booked.",
        services=[Service.objects.get(code="housing-services")],
    )
    situation = services.situation_conclude(
        situation=situation,
        actor=seed.coordinator,
        code=ConclusionCode.objects.get(code="connected-to-services", group="risk_lowered"),
    )
    assert situation.state == SituationState.CONCLUDED and situation.concluded_at is not None
    assert kinds(situation) == [
        events.PROPOSED,
        events.AGENDA_ADDED,
        events.ACCEPTED,
        events.NAMES_REVEALED,
        events.AGENCIES_CHOSEN,
        events.DOOR_KNOCK_PLANNED,
        events.DOOR_KNOCK_DONE,
        events.STATUS_UPDATE,
        events.CONCLUDED,
    ]
    assert not any(NAME.split()[0] in m for m in SituationEvent.objects.values_list("message", flat=True))


def test_rejection_ends_it_and_nothing_more_can_be_done(hub_seed):
    seed = hub_seed
    meeting = seed.meeting()
    situation = seed.to_state(seed.propose(), "rejected", meeting=meeting)
    assert situation.state == SituationState.REJECTED
    assert set(situation.present_at_decision.all()) == set(seed.agencies.values())
    assert situation.door_knock_due_at is None
    with pytest.raises(ReferralError):
        services.names_reveal(situation=situation, actor=seed.coordinator, meeting=meeting)
    with pytest.raises(ReferralError):
        services.agencies_choose(situation=situation, actor=seed.coordinator, lead=seed.agencies["housing"])
    with pytest.raises(ReferralError):
        services.agenda_add(situation=situation, actor=seed.coordinator, meeting=seed.meeting(day=meeting.held_on))


def test_only_a_coordinator_runs_the_table(hub_seed):
    seed = hub_seed
    situation = seed.propose()
    meeting = seed.meeting()
    for who in ("officer", "housing", "school", "outsider"):
        with pytest.raises(Refused):
            services.agenda_add(situation=situation, actor=seed.users[who], meeting=meeting)
        with pytest.raises(Refused):
            services.meeting_open(meeting=meeting, actor=seed.users[who])
    services.agenda_add(situation=situation, actor=seed.coordinator, meeting=meeting)
    with pytest.raises(Refused):
        services.threshold_decide(situation=situation, actor=seed.users["housing"], meeting=meeting, met=True)


def test_the_table_decides_only_at_an_open_meeting_with_attendance(hub_seed):
    seed = hub_seed
    c = seed.coordinator
    situation = seed.propose()
    meeting = services.meeting_schedule(table=seed.table, actor=c, held_on=timezone.localdate())
    services.agenda_add(situation=situation, actor=c, meeting=meeting)
    with pytest.raises(ReferralError, match="open"):
        services.threshold_decide(situation=situation, actor=c, meeting=meeting, met=True)
    services.meeting_open(meeting=meeting, actor=c)
    with pytest.raises(ReferralError, match="present"):
        services.threshold_decide(situation=situation, actor=c, meeting=meeting, met=True)
    services.attendance_record(meeting=meeting, actor=c, agencies=[seed.agencies["housing"]])
    services.threshold_decide(situation=situation, actor=c, meeting=meeting, met=True)
    with pytest.raises(ReferralError):
        services.threshold_decide(situation=situation, actor=c, meeting=meeting, met=False)
    services.meeting_close(meeting=meeting, actor=c)
    with pytest.raises(ReferralError):
        services.attendance_record(meeting=meeting, actor=c, agencies=[])


def test_a_situation_is_not_decided_at_a_meeting_whose_agenda_lacks_it(hub_seed):
    seed = hub_seed
    situation = seed.propose()
    other = seed.propose()
    meeting = seed.meeting()
    services.agenda_add(situation=other, actor=seed.coordinator, meeting=meeting)
    services.agenda_add(
        situation=situation,
        actor=seed.coordinator,
        meeting=services.meeting_schedule(
            table=seed.table, actor=seed.coordinator, held_on=timezone.localdate() + timedelta(days=7)
        ),
    )
    with pytest.raises(ReferralError, match="agenda"):
        services.threshold_decide(situation=situation, actor=seed.coordinator, meeting=meeting, met=True)
    with pytest.raises(ReferralError, match="already"):
        services.agenda_add(situation=other, actor=seed.coordinator, meeting=meeting)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1


def test_only_chosen_agencies_plan_and_log_the_door_knock(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention", lead="housing", assisting=())
    soon = timezone.now() + timedelta(hours=2)
    for who in ("school", "health", "coordinator", "officer", "outsider"):
        with pytest.raises(Refused):
            services.door_knock_plan(
                situation=situation, actor=seed.users[who], agencies=[seed.agencies["housing"]], planned_for=soon
            )
        with pytest.raises(Refused):
            services.door_knock_log(situation=situation, actor=seed.users[who], response=Response.DECLINED)
    housing = seed.users["housing"]
    with pytest.raises(ReferralError, match="chosen agencies"):
        services.door_knock_plan(
            situation=situation, actor=housing, agencies=[seed.agencies["school"]], planned_for=soon
        )
    with pytest.raises(ReferralError, match="window"):
        services.door_knock_plan(
            situation=situation,
            actor=housing,
            agencies=[seed.agencies["housing"]],
            planned_for=timezone.now() + timedelta(hours=60),
        )
    services.door_knock_log(situation=situation, actor=housing, response=Response.DECLINED)
    with pytest.raises(ReferralError, match="already"):
        services.door_knock_log(situation=situation, actor=housing, response=Response.ACCEPTED)


def test_choosing_opens_the_window_from_now(hub_seed):
    seed = hub_seed
    before = timezone.now()
    situation = seed.to_state(seed.propose(), "intervention")
    assert before + timedelta(hours=48) <= situation.door_knock_due_at <= timezone.now() + timedelta(hours=48)


def test_conclusion_needs_a_coordinator_and_an_intervention(hub_seed):
    seed = hub_seed
    code = ConclusionCode.objects.get(group="still_at_risk", code="unable-to-locate")
    accepted = seed.to_state(seed.propose(), "accepted")
    with pytest.raises(ReferralError):
        services.situation_conclude(situation=accepted, actor=seed.coordinator, code=code)
    situation = seed.to_state(seed.propose(), "intervention", meeting=accepted.decided_meeting)
    with pytest.raises(Refused):
        services.situation_conclude(situation=situation, actor=seed.users["housing"], code=code)
    situation = services.situation_conclude(situation=situation, actor=seed.coordinator, code=code)
    assert situation.conclusion == code and situation.door_knock_due_at is None
    with pytest.raises(ReferralError):
        services.situation_conclude(situation=situation, actor=seed.coordinator, code=code)


def test_status_updates_are_de_identified(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention")
    for text in (f"Met {NAME} at home", "Call 617-555-0101 tomorrow", "Moved to 12 Elm Street", "Born 05/17/2008", ""):
        with pytest.raises(ReferralError):
            services.status_update_add(situation=situation, actor=seed.users["housing"], text=text)
    with pytest.raises(Refused):
        services.status_update_add(situation=situation, actor=seed.users["school"], text="Fine")
    services.status_update_add(situation=situation, actor=seed.coordinator, text="Lead reports engagement.")
    assert StatusUpdate.objects.filter(situation=situation).count() == 1


def test_outcome_checks_at_30_and_90_days_where_the_table_agreed(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "concluded")
    housing = seed.users["housing"]  # the lead
    with pytest.raises(ReferralError, match="due from"):
        services.outcome_check_record(
            situation=situation, actor=housing, days=30, still_connected=True, new_incidents=False
        )
    Situation.objects.filter(pk=situation.pk).update(concluded_at=timezone.now() - timedelta(days=31))
    with pytest.raises(Refused):
        services.outcome_check_record(
            situation=situation, actor=seed.users["school"], days=30, still_connected=True, new_incidents=False
        )
    with pytest.raises(ReferralError):
        services.outcome_check_record(
            situation=situation, actor=housing, days=45, still_connected=True, new_incidents=False
        )
    services.outcome_check_record(
        situation=situation, actor=housing, days=30, still_connected=True, new_incidents=False
    )
    with pytest.raises(ReferralError, match="already"):
        services.outcome_check_record(
            situation=situation, actor=housing, days=30, still_connected=True, new_incidents=False
        )
    with pytest.raises(ReferralError, match="due from"):
        services.outcome_check_record(
            situation=situation, actor=housing, days=90, still_connected=None, new_incidents=None
        )
    assert OutcomeCheck.objects.filter(situation=situation).count() == 1


def test_outcome_checks_are_refused_where_the_table_did_not_agree(hub_seed):
    seed = hub_seed
    seed.table.outcome_checks = False
    seed.table.save(update_fields=["outcome_checks"])
    situation = seed.to_state(seed.propose(), "concluded")
    Situation.objects.filter(pk=situation.pk).update(concluded_at=timezone.now() - timedelta(days=100))
    with pytest.raises(ReferralError, match="not agreed"):
        services.outcome_check_record(
            situation=situation, actor=seed.coordinator, days=90, still_connected=True, new_incidents=False
        )


def test_the_state_field_cannot_be_set_directly(hub_seed):
    situation = hub_seed.propose()
    with pytest.raises(AttributeError):
        situation.state = SituationState.CONCLUDED


def test_allowed_actions_follow_the_rules(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention", lead="housing", assisting=())
    assert "conclude" in policy.allowed_actions(seed.coordinator, situation)
    assert set(policy.allowed_actions(seed.users["housing"], situation)) >= {"door_knock_plan", "door_knock_log"}
    assert policy.allowed_actions(seed.users["school"], situation) == []
