"""The Hub's demo: two Boston tables with situations at every filter, so the coordinator and the agency members land
on living pages. Registered with ``referrals.demo`` (``HubConfig.ready``) and run by ``manage.py seed_demo``.

Everything goes through ``hub.services``, as a table would do it. Running it again converges: tables and seats are
updated in place, each situation has a fixed idempotency key and its story is played only when it is new.

The people in it are fictional, as are their addresses (Sample Rd, Example St).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Organisation
from districts.models import District
from hub import services
from hub.models import AgeBand, ConclusionCode, Gender, Meeting, RiskFactor, Sector, Situation, Table, TableAgency
from hub.reference import reference_seed

B2_TABLE = "Boston Hub — B2/B3"
C11_TABLE = "Boston Hub — C11"
NAMESPACE = uuid.UUID("6f1c0f55-2f0e-4f5e-9a7b-8d2b4c7e1a01")


@dataclass(frozen=True)
class Story:
    """One demo situation: who proposes it, what the table hears, who it is, and how far it goes."""

    key: str
    by: str  # username
    agency: str  # the proposing agency's key at the table
    persons: tuple[tuple[str, str, str, date | None, str], ...]  # (age band, gender, name, born, address)
    risks: tuple[str, ...]
    description: str
    stop: str  # proposed, on_agenda, rejected, accepted, intervention, concluded, overdue
    lead: str = ""
    assisting: tuple[str, ...] = ()
    door_knock_by: tuple[str, ...] = ()
    discussion_type: str = "person"
    extra: dict = field(default_factory=dict)


B2_STORIES = [
    Story(
        "b2-proposed",
        "officer.b2",
        "police",
        (("18-24", Gender.MALE, "Devon Ashcombe-Reyes", date(2004, 3, 9), "12 Sample Rd, Roxbury"),),
        ("gang-association", "victim-of-physical-violence"),
        "Young man seen with a group linked to two recent shootings; shot at last month, refuses victim services.",
        "proposed",
    ),
    Story(
        "b2-agenda-1",
        "agency.school",
        "school",
        (("12-15", Gender.FEMALE, "Imani Okonjo-Barrett", date(2012, 11, 2), "7 Example St, Dorchester"),),
        ("truancy", "runaway"),
        "Pupil absent most of this term, reported missing twice by the family, seen with older adults at night.",
        "on_agenda",
    ),
    Story(
        "b2-agenda-2",
        "agency.housing",
        "housing",
        (("60+", Gender.MALE, "Walter Pemberton-Kaye", date(1951, 6, 30), "88 Sample Rd, Apt 4, Roxbury"),),
        ("eviction-risk", "unsafe-or-unsuitable-housing"),
        "Older tenant hoarding, unit a fire hazard, eviction hearing next month, no family in contact.",
        "on_agenda",
    ),
    Story(
        "b2-rejected",
        "officer.b2",
        "police",
        (("25-29", Gender.FEMALE, "Carla Vantongeren", date(1998, 1, 21), "3 Example St, Roxbury"),),
        ("unemployed",),
        "Repeated noise complaints, no sign of harm; already working with a counsellor.",
        "rejected",
    ),
    Story(
        "b2-accepted",
        "agency.housing",
        "housing",
        (("30-39", Gender.FEMALE, "Rosalind Achterberg", date(1990, 8, 14), "21 Sample Rd, Roxbury"),),
        ("domestic-violence", "eviction-risk"),
        "Tenant with visible injuries, partner barred from the unit returning at night, arrears mounting.",
        "accepted",
    ),
    Story(
        "b2-intervention",
        "officer.b2",
        "police",
        (
            ("40-59", Gender.FEMALE, "Marguerite Delacroix-Hale", date(1979, 4, 3), "54 Example St, Roxbury"),
            ("12-15", Gender.MALE, "Theo Delacroix-Hale", date(2011, 9, 19), "54 Example St, Roxbury"),
        ),
        ("suicidal-ideation", "neglect", "truancy"),
        "Parent in crisis after a bereavement, child missing school and caring for a younger sibling.",
        "intervention",
        lead="housing",
        assisting=("school", "police"),
        door_knock_by=("housing", "school"),
        discussion_type="family",
    ),
    Story(
        "b2-concluded",
        "agency.housing",
        "housing",
        (("18-24", Gender.MALE, "Kwame Oduya-Lindgren", date(2003, 2, 11), "9 Sample Rd, Roxbury"),),
        ("homelessness", "drug-related-overdose"),
        "Young man sleeping in a stairwell, two overdoses this month, turned away from a shelter.",
        "concluded",
        lead="housing",
        assisting=("police",),
    ),
    Story(
        "b2-overdue",
        "agency.school",
        "school",
        (("16-17", Gender.MALE, "Elias Brennan-Mwangi", date(2009, 7, 25), "33 Example St, Dorchester"),),
        ("gang-recruitment", "truancy"),
        "Student approached by a group recruiting at the bus stop, stopped attending two weeks ago.",
        "overdue",
        lead="school",
        assisting=("police",),
    ),
]

C11_STORIES = [
    Story(
        "c11-agenda",
        "agency.housing",
        "housing",
        (("40-59", Gender.MALE, "Fergus Malloy-Adeyemi", date(1975, 12, 1), "140 Sample Rd, Dorchester"),),
        ("diagnosed-mental-health-problem", "eviction-risk"),
        "Tenant stopped treatment, threatening neighbours, landlord has started an eviction.",
        "on_agenda",
    ),
    Story(
        "c11-accepted",
        "officer.b2",
        "police",
        (("16-17", Gender.FEMALE, "Yasmin Corriveau", date(2009, 5, 5), "61 Example St, Dorchester"),),
        ("sexual-exploitation", "runaway"),
        "Teen picked up twice in cars with adult men, leaves home for days at a time.",
        "accepted",
    ),
    Story(
        "c11-intervention",
        "agency.school",
        "school",
        (("12-15", Gender.MALE, "Jonah Szymanski-Abara", date(2012, 2, 17), "5 Sample Rd, Dorchester"),),
        ("negative-behaviour-at-school", "parent-child-conflict"),
        "Pupil excluded after a fight, violent arguments at home reported by a neighbour.",
        "intervention",
        lead="school",
        assisting=("police",),
        door_knock_by=("school",),
    ),
    Story(
        "c11-concluded",
        "agency.housing",
        "housing",
        (("60+", Gender.FEMALE, "Edna Fairweather-Osei", date(1944, 10, 8), "77 Example St, Dorchester"),),
        ("financial-abuse", "neglect-of-an-older-person"),
        "Older tenant whose pension is taken by a relative, unit without heat, missing meals.",
        "concluded",
        lead="housing",
        assisting=("school",),
    ),
]


def _seat(table: Table, organisations: dict[str, Organisation], users: dict) -> dict[str, TableAgency]:
    sector = {s.code: s for s in Sector.objects.all()}
    agreed = date(2025, 1, 15)
    return {
        "police": services.table_agency_add(
            table=table, organisation=organisations["BPD"], sector=sector["police"], sharing_agreement_on=agreed
        ),
        "housing": services.table_agency_add(
            table=table,
            organisation=organisations["BHA"],
            sector=sector["housing"],
            representatives=[users["agency.housing"]],
            sharing_agreement_on=agreed,
        ),
        "school": services.table_agency_add(
            table=table,
            organisation=organisations["BPS"],
            sector=sector["education"],
            representatives=[users["agency.school"]],
            sharing_agreement_on=agreed,
        ),
        # No information-sharing agreement: it hears every discussion and never receives a name.
        "health": services.table_agency_add(
            table=table, organisation=organisations["BPHC"], sector=sector["health"], sharing_agreement_on=None
        ),
    }


def _meeting(table: Table, coordinator, day: date) -> Meeting:
    return services.meeting_schedule(table=table, actor=coordinator, held_on=day)


def _play(
    story: Story, *, table: Table, agencies: dict[str, TableAgency], users: dict, past: Meeting, today: Meeting
) -> None:
    key = _key(table, story)
    coordinator = users["hub.coordinator"]
    situation, _ = services.situation_propose(
        table=table,
        actor=users[story.by],
        idempotency_key=key,
        agency=agencies[story.agency],
        discussion_type=story.discussion_type,
        description=story.description,
        persons=[
            services.NewPerson(
                age_band=AgeBand.objects.get(label=band),
                gender=gender,
                full_name=name,
                date_of_birth=born,
                address=addr,
            )
            for band, gender, name, born, addr in story.persons
        ],
        risk_factors=list(RiskFactor.objects.filter(code__in=story.risks)),
    )
    if story.stop == "proposed":
        return
    if story.stop == "on_agenda":
        services.agenda_add(situation=situation, actor=coordinator, meeting=today)
        return
    services.agenda_add(situation=situation, actor=coordinator, meeting=past)
    situation = services.threshold_decide(
        situation=situation, actor=coordinator, meeting=past, met=story.stop != "rejected"
    )
    if story.stop == "rejected":
        return
    if table.reveal == Table.Reveal.PRESENT:
        services.names_reveal(situation=situation, actor=coordinator, meeting=past)
    if story.stop == "accepted":
        return
    situation = services.agencies_choose(
        situation=situation,
        actor=coordinator,
        lead=agencies[story.lead],
        assisting=[agencies[a] for a in story.assisting],
        meeting=past,
    )
    if story.door_knock_by:
        lead_user = _acting_user(story.lead, users)
        services.door_knock_plan(
            situation=situation,
            actor=lead_user,
            agencies=[agencies[a] for a in story.door_knock_by],
            planned_for=timezone.now() + timedelta(hours=20),
        )
    if story.stop == "overdue":
        # The story happened at last week's meeting: its window ran out with no door knock logged (backdated here,
        # the one write outside the services), and the sweeper tells the coordinators, once.
        Situation.objects.filter(pk=situation.pk).update(door_knock_due_at=timezone.now() - timedelta(hours=1))
        services.door_knock_escalate_if_due(situation_id=situation.pk, now=timezone.now())
        return
    if story.stop == "concluded":
        services.door_knock_log(situation=situation, actor=_acting_user(story.lead, users), response="accepted")
        services.status_update_add(
            situation=situation,
            actor=coordinator,
            text="Door knock done by the lead agency; the person accepted a referral to services.",
            meeting=past,
        )
        services.situation_conclude(
            situation=situation,
            actor=coordinator,
            code=ConclusionCode.objects.get(group=ConclusionCode.Group.RISK_LOWERED, code="connected-to-services"),
            meeting=past,
        )


def _acting_user(agency_key: str, users: dict):
    return {"housing": users["agency.housing"], "school": users["agency.school"], "police": users["officer.b2"]}[
        agency_key
    ]


def hub_demo() -> None:
    """Seed (or bring up to date) the two demo tables and their situations."""
    if not Sector.objects.exists():
        reference_seed()  # the migration seeds it; a flushed database (the browser tests) no longer has it
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["hub.coordinator", "officer.b2", "agency.housing", "agency.school"])
    }
    organisations = {o.short_name: o for o in Organisation.objects.filter(short_name__in=HUB_ORGANISATIONS)}
    hub_office = organisations["Boston Hub"]
    today = timezone.localdate()
    for name, district, reveal, cadence, stories in (
        (B2_TABLE, "B2", Table.Reveal.PRESENT, "Tuesdays 10:00", B2_STORIES),
        (C11_TABLE, "C11", Table.Reveal.CHOSEN, "Thursdays 14:00", C11_STORIES),
    ):
        table = services.table_create(
            name=name,
            organisation=hub_office,
            district=District.objects.get(code=district),
            cadence=cadence,
            reveal=reveal,
            door_knock_hours=48,
            outcome_checks=True,
        )
        agencies = _seat(table, organisations, users)
        coordinator = users["hub.coordinator"]
        past = _meeting(table, coordinator, today - timedelta(days=7))
        upcoming = _meeting(table, coordinator, today)
        pending = [s for s in stories if not Situation.objects.filter(idempotency_key=_key(table, s)).exists()]
        decided = [s for s in pending if s.stop not in ("proposed", "on_agenda")]
        if decided and past.closed_at is None:
            # Last week's meeting: open while its decisions are played, everyone present, then closed.
            services.meeting_open(meeting=past, actor=coordinator)
            services.attendance_record(meeting=past, actor=coordinator, agencies=list(agencies.values()))
            past.refresh_from_db()
        for story in pending:
            if story in decided and not past.is_open:
                continue  # last week's meeting is closed: a story added to the demo since waits for a new database
            _play(story, table=table, agencies=agencies, users=users, past=past, today=upcoming)
        if past.is_open:
            services.meeting_close(meeting=past, actor=coordinator)


def _key(table: Table, story: Story) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{table.name}/{story.key}")


HUB_ORGANISATIONS = ["Boston Hub", "BPD", "BHA", "BPS", "BPHC"]
