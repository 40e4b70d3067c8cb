"""Helpers for the Hub tests: a table with police, housing, school and a health agency, built through hub.services.

``HubSeed`` (the ``hub_seed`` fixture, tests/hub/conftest.py) holds the table, its agencies and its people:
coordinator (hub.coordinator), officer (officer.b2, the police), housing (agency.housing), school (agency.school),
health (agency.health, made here: the health agency has NO information-sharing agreement), outsider (officer.d4).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Organisation, Role
from accounts.services import membership_create
from districts.models import District
from hub import services
from hub.models import AgeBand, Gender, Meeting, RiskFactor, Sector, Situation, Table, TableAgency

NAME = "Jordan Example"
DOB = date(2008, 5, 17)
ADDRESS = "40 Sample Rd, Roxbury"


@dataclass
class HubSeed:
    table: Table
    agencies: dict[str, TableAgency]
    users: dict
    _meetings: list = field(default_factory=list)

    @property
    def coordinator(self):
        return self.users["coordinator"]

    def meeting(self, *, present=("police", "housing", "school", "health"), day: date | None = None) -> Meeting:
        """Today's meeting (or ``day``'s), open, with the named agencies present."""
        meeting = services.meeting_schedule(
            table=self.table, actor=self.coordinator, held_on=day or timezone.localdate()
        )
        meeting = services.meeting_open(meeting=meeting, actor=self.coordinator)
        return services.attendance_record(
            meeting=meeting, actor=self.coordinator, agencies=[self.agencies[k] for k in present]
        )

    def propose(self, by: str = "officer", *, key: uuid.UUID | None = None, **fields) -> Situation:
        defaults = {
            "discussion_type": "person",
            "description": "Young person missing school, recent overdose, conflict at home.",
            "persons": [
                services.NewPerson(
                    age_band=AgeBand.objects.get(code="16-17"),
                    gender=Gender.MALE,
                    full_name=NAME,
                    date_of_birth=DOB,
                    address=ADDRESS,
                )
            ],
            "risk_factors": list(RiskFactor.objects.filter(code__in=["truancy", "drug-related-overdose"])),
        }
        defaults.update(fields)
        situation, created = services.situation_propose(
            table=self.table, actor=self.users[by], idempotency_key=key or uuid.uuid4(), **defaults
        )
        assert created
        return situation

    def to_state(
        self, situation: Situation, state: str, *, meeting: Meeting | None = None, lead="housing", assisting=("police",)
    ) -> Situation:
        """Take a proposed situation on to ``state`` the way a table does (names revealed where the table does)."""
        c = self.coordinator
        if state == "proposed":
            return situation
        meeting = meeting or self.meeting()
        services.agenda_add(situation=situation, actor=c, meeting=meeting)
        if state == "on_agenda":
            return Situation.objects.get(pk=situation.pk)
        situation = services.threshold_decide(situation=situation, actor=c, meeting=meeting, met=state != "rejected")
        if state in ("rejected", "accepted_unrevealed"):
            return situation
        if self.table.reveal == Table.Reveal.PRESENT:
            services.names_reveal(situation=situation, actor=c, meeting=meeting)
        if state == "accepted":
            return situation
        situation = services.agencies_choose(
            situation=situation,
            actor=c,
            lead=self.agencies[lead],
            assisting=[self.agencies[a] for a in assisting],
            meeting=meeting,
        )
        if state == "intervention":
            return situation
        assert state == "concluded", state
        from hub.models import ConclusionCode

        return services.situation_conclude(
            situation=situation,
            actor=c,
            code=ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services"),
        )


def build_hub_seed(personas, *, reveal: str = Table.Reveal.PRESENT, outcome_checks: bool = True) -> HubSeed:
    User = get_user_model()
    organisations = {o.short_name: o for o in Organisation.objects.all()}
    health_user, _ = User.objects.get_or_create(username="agency.health", defaults={"first_name": "Kim"})
    membership_create(user=health_user, organisation=organisations["BPHC"], role=Role.HUB_MEMBER)
    table = services.table_create(
        name="B2 situation table",
        organisation=organisations["Boston Hub"],
        district=District.objects.get(code="B2"),
        cadence="Tuesdays 10:00",
        reveal=reveal,
        door_knock_hours=48,
        outcome_checks=outcome_checks,
    )
    sector = {s.code: s for s in Sector.objects.all()}
    agreed = date(2025, 1, 15)
    agencies = {
        "police": services.table_agency_add(
            table=table, organisation=organisations["BPD"], sector=sector["police"], sharing_agreement_on=agreed
        ),
        "housing": services.table_agency_add(
            table=table,
            organisation=organisations["BHA"],
            sector=sector["housing"],
            representatives=[personas["agency.housing"]],
            sharing_agreement_on=agreed,
        ),
        "school": services.table_agency_add(
            table=table,
            organisation=organisations["BPS"],
            sector=sector["education"],
            representatives=[personas["agency.school"]],
            sharing_agreement_on=agreed,
        ),
        "health": services.table_agency_add(
            table=table, organisation=organisations["BPHC"], sector=sector["health"], sharing_agreement_on=None
        ),
    }
    users = {
        "coordinator": personas["hub.coordinator"],
        "officer": personas["officer.b2"],
        "housing": personas["agency.housing"],
        "school": personas["agency.school"],
        "health": User.objects.get(pk=health_user.pk),
        "outsider": personas["officer.d4"],
        "clinician": personas["clinician.b2"],
    }
    return HubSeed(table=table, agencies=agencies, users=users)
