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
from hub.reference import reference_seed

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
    if not Sector.objects.exists():
        reference_seed()  # a transactional test (the browser tests) ended with a flush of what the migration seeded
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


@dataclass
class HubCast:
    """Everyone the permission matrix and the state machine need beyond ``HubSeed``'s people, seated.

    At ``seed.table`` (B2, Boston Hub): a representative of the police agency (``police_rep``, agency.police, no
    membership: a representative only) and a fifth agency with an agreement, BCYF (``bcyf``, agency.bcyf, a Hub
    member). A second table (C11, run by Dorchester Hub, the other reveal setting, no outcome checks) with its own
    coordinator (``other_coordinator``, hub.dorchester) and police (BPD), housing (BHA), DFS (``dfs``, agency.dfs,
    sitting only there) and health (BPHC, no agreement). ``former`` (hub.former) holds a coordinator membership of
    Boston Hub but is an inactive user.
    """

    seed: HubSeed
    other_table: Table
    other_agencies: dict[str, TableAgency]

    @property
    def users(self) -> dict:
        return self.seed.users


def build_hub_cast(seed: HubSeed, *, other_reveal: str | None = None) -> HubCast:
    User = get_user_model()
    kind = Organisation.Kind.HUB_AGENCY

    def organisation(name: str, short_name: str) -> Organisation:
        found, _ = Organisation.objects.get_or_create(name=name, defaults={"short_name": short_name, "kind": kind})
        return found

    def user(username: str, first_name: str, **fields):
        found, _ = User.objects.get_or_create(username=username, defaults={"first_name": first_name, **fields})
        return found

    organisations = {o.short_name: o for o in Organisation.objects.all()}
    bcyf = organisation("Boston Centers for Youth & Families", "BCYF")
    dorchester_hub = organisation("Dorchester Hub", "Dorchester Hub")
    dfs = organisation("Dorchester Family Services", "DFS")
    police_rep = user("agency.police", "Lee")
    bcyf_user = user("agency.bcyf", "Sky")
    other_coordinator = user("hub.dorchester", "Ari")
    dfs_user = user("agency.dfs", "Rowan")
    former = user("hub.former", "Jo")
    membership_create(user=bcyf_user, organisation=bcyf, role=Role.HUB_MEMBER)
    membership_create(user=other_coordinator, organisation=dorchester_hub, role=Role.HUB_COORDINATOR)
    membership_create(user=dfs_user, organisation=dfs, role=Role.HUB_MEMBER)
    membership_create(user=former, organisation=organisations["Boston Hub"], role=Role.HUB_COORDINATOR)
    former.is_active = False
    former.save(update_fields=["is_active"])

    sector = {s.code: s for s in Sector.objects.all()}
    agreed = date(2025, 3, 1)
    police = seed.agencies["police"]
    police.representatives.add(police_rep)
    seed.agencies["bcyf"] = services.table_agency_add(
        table=seed.table, organisation=bcyf, sector=sector["youth-services"], sharing_agreement_on=agreed
    )
    if other_reveal is None:
        other_reveal = Table.Reveal.CHOSEN if seed.table.reveal == Table.Reveal.PRESENT else Table.Reveal.PRESENT
    other = services.table_create(
        name="C11 situation table",
        organisation=dorchester_hub,
        district=District.objects.get(code="C11"),
        reveal=other_reveal,
        door_knock_hours=24,
        outcome_checks=False,
    )
    other_agencies = {
        "police": services.table_agency_add(
            table=other, organisation=organisations["BPD"], sector=sector["police"], sharing_agreement_on=agreed
        ),
        "housing": services.table_agency_add(
            table=other, organisation=organisations["BHA"], sector=sector["housing"], sharing_agreement_on=agreed
        ),
        "dfs": services.table_agency_add(
            table=other, organisation=dfs, sector=sector["social-services"], sharing_agreement_on=agreed
        ),
        "health": services.table_agency_add(
            table=other, organisation=organisations["BPHC"], sector=sector["health"], sharing_agreement_on=None
        ),
    }
    # Fresh instances: nothing cached about memberships made before these.
    fresh = User.objects.in_bulk([police_rep.pk, bcyf_user.pk, other_coordinator.pk, dfs_user.pk, former.pk])
    seed.users.update(
        police_rep=fresh[police_rep.pk],
        bcyf=fresh[bcyf_user.pk],
        other_coordinator=fresh[other_coordinator.pk],
        dfs=fresh[dfs_user.pk],
        former=fresh[former.pk],
    )
    return HubCast(seed=seed, other_table=other, other_agencies=other_agencies)


def hub_rows(situation_ids) -> dict:
    """Every row a Hub action may write about these situations, and the global counts, as plain values: equal before
    and after means nothing changed."""
    from hub.models import (
        AgendaItem,
        Assignment,
        HubAccessLog,
        OutcomeCheck,
        Reveal,
        SituationEvent,
        StatusUpdate,
    )
    from notifications.models import Notification
    from referrals.models import Referral

    ids = sorted(situation_ids)
    through = Situation.door_knock_agencies.through
    decided = Situation.present_at_decision.through
    services_through = Situation.services_mobilised.through
    return {
        "situations": list(Situation.objects.filter(pk__in=ids).order_by("pk").values()),
        "situation_count": Situation.objects.count(),
        "reveals": list(Reveal.objects.filter(situation_id__in=ids).order_by("pk").values()),
        "assignments": list(Assignment.objects.filter(situation_id__in=ids).order_by("pk").values()),
        "events": list(SituationEvent.objects.filter(situation_id__in=ids).order_by("pk").values()),
        "event_count": SituationEvent.objects.count(),
        "access_log": HubAccessLog.objects.count(),
        "agenda": list(AgendaItem.objects.order_by("pk").values_list("pk", "meeting_id", "situation_id")),
        "status_updates": list(StatusUpdate.objects.filter(situation_id__in=ids).order_by("pk").values()),
        "outcome_checks": list(OutcomeCheck.objects.filter(situation_id__in=ids).order_by("pk").values()),
        "door_knock_agencies": sorted(
            through.objects.filter(situation_id__in=ids).values_list("situation_id", "tableagency_id")
        ),
        "present_at_decision": sorted(
            decided.objects.filter(situation_id__in=ids).values_list("situation_id", "tableagency_id")
        ),
        "services_mobilised": sorted(
            services_through.objects.filter(situation_id__in=ids).values_list("situation_id", "service_id")
        ),
        "notifications": Notification.objects.count(),
        "referrals": Referral.objects.count(),
    }
