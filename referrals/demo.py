"""Demo data: Boston's partners, programs and one person per role. Run it again and it converges.

Apps above referrals (the Hub) add their own demo with ``register_seeder`` from their ``AppConfig.ready``: this app
never imports them. Their seeders run after the requests, in the same transaction, and must converge too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role
from accounts.services import membership_create
from districts.models import District, Unit
from districts.services import boston_load
from programs.models import Program, Workflow
from referrals import services
from referrals.models import Urgency
from referrals.workflows.casework.demo import (
    casework_demo_referrals,
    casework_programs_configure,
    override_holders_grant,
)
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import Disposition, FollowUp
from routing.models import Shift
from routing.services import shift_create, shift_span

ORGANISATIONS = [
    # key, name, short name, kind
    ("bpd", "Boston Police Department", "BPD", Organisation.Kind.POLICE),
    ("best", "Boston Emergency Services Team, Boston Medical Center", "BEST", Organisation.Kind.CLINICAL),
    ("youthconnect", "YouthConnect, Boys & Girls Clubs of Boston", "YouthConnect", Organisation.Kind.YOUTH),
    ("roca", "Roca Boston", "Roca", Organisation.Kind.PARTNER),
    ("fjc", "Family Justice Center of Boston", "FJC", Organisation.Kind.PARTNER),
    (
        "trauma",
        "Boston Trauma Response Network, Boston Public Health Commission",
        "Trauma line",
        Organisation.Kind.PARTNER,
    ),
    ("hub", "Boston Hub, Office of Public Safety", "Boston Hub", Organisation.Kind.HUB_AGENCY),
    ("housing", "Boston Housing Authority", "BHA", Organisation.Kind.HUB_AGENCY),
    ("school", "Boston Public Schools", "BPS", Organisation.Kind.HUB_AGENCY),
    ("health", "Boston Public Health Commission", "BPHC", Organisation.Kind.HUB_AGENCY),
]

DEMO_ACCEPTANCE_MINUTES = 2

PROGRAMS = [
    # slug, name, organisation key, workflow, description
    (
        "co-response",
        "Co-response (BEST)",
        "best",
        Workflow.CO_RESPONSE,
        "A BEST clinician joins the officer on scene for a person in behavioural-health crisis.",
    ),
    (
        "youthconnect",
        "YouthConnect",
        "youthconnect",
        Workflow.CASEWORK,
        "A youth social worker follows up with a young person and their family.",
    ),
    (
        "street-outreach",
        "Street outreach",
        "roca",
        Workflow.CASEWORK,
        "Outreach workers engage a young adult at high risk of violence.",
    ),
    (
        "dv-advocacy",
        "Domestic violence advocacy",
        "fjc",
        Workflow.CASEWORK,
        "An advocate contacts a survivor of domestic violence.",
    ),
    (
        "trauma-callback",
        "Trauma support call-back",
        "trauma",
        Workflow.CASEWORK,
        "The trauma line calls back within 30 minutes, day and night, after violence or a sudden death.",
    ),
    (
        "hub-table",
        "Hub situation table",
        "hub",
        Workflow.SITUATION,
        "Agencies meet weekly on situations of acutely elevated risk (four filters).",
    ),
]


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    organisation: str | None
    role: str | None
    districts: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    all_districts: bool = False
    superuser: bool = False


PERSONAS = [
    Persona("officer.b2", "Dana", "Reyes", "bpd", Role.OFFICER, ("B2",)),
    Persona("officer.d4", "Sam", "Whitaker", "bpd", Role.OFFICER, ("D4",)),
    Persona("sergeant.b2", "Maria", "Okafor", "bpd", Role.POLICE_SUPERVISOR, ("B2",)),
    Persona("clinician.b2", "Jordan", "Lee", "best", Role.CLINICIAN, ("B2",)),
    Persona("clinician.c11", "Priya", "Natarajan", "best", Role.CLINICIAN, ("C11",)),
    Persona("clinician.supervisor", "Alex", "Moreau", "best", Role.CLINICAL_SUPERVISOR, all_districts=True),
    Persona("youth.e13", "Chris", "Delgado", "youthconnect", Role.WORKER, ("E13",), ("YVSF",)),
    Persona("youth.supervisor", "Renee", "Baptiste", "youthconnect", Role.WORKER_SUPERVISOR, all_districts=True),
    Persona("outreach.roca", "Luis", "Pena", "roca", Role.WORKER, all_districts=True),
    Persona("advocate.fjc", "Grace", "Kim", "fjc", Role.WORKER, all_districts=True),
    Persona("trauma.line", "Noor", "Haddad", "trauma", Role.WORKER, all_districts=True),
    Persona("trauma.supervisor", "Omar", "Farouk", "trauma", Role.WORKER_SUPERVISOR, all_districts=True),
    Persona("hub.coordinator", "Terry", "Nguyen", "hub", Role.HUB_COORDINATOR, all_districts=True),
    Persona("agency.housing", "Pat", "Sullivan", "housing", Role.HUB_MEMBER),
    Persona("agency.school", "Morgan", "Ellis", "school", Role.HUB_MEMBER),
    Persona("analyst", "Robin", "Castro", "bpd", Role.ANALYST),
    Persona("privacy.officer", "Jamie", "Okoro", "hub", Role.PRIVACY_OFFICER),
    Persona("admin", "Casey", "Admin", None, None, superuser=True),
    # A second administrator: a privileged membership one grants waits for the other to confirm it.
    Persona("admin.second", "Avery", "Admin", None, None, superuser=True),
]


# name -> seeder(): the demo of an app above this one (``register_seeder``).
_SEEDERS: dict[str, Callable[[], None]] = {}


def register_seeder(name: str, seeder: Callable[[], None]) -> None:
    """A higher app's demo, run by ``demo_seed(with_requests=True)`` after this app's (registering again replaces)."""
    _SEEDERS[name] = seeder


@transaction.atomic
def demo_seed(*, password: str, with_requests: bool = True) -> list[Persona]:
    boston_load()
    organisations = {}
    for key, name, short_name, kind in ORGANISATIONS:
        organisations[key], _ = Organisation.objects.update_or_create(
            name=name, defaults={"short_name": short_name, "kind": kind, "is_active": True}
        )
    for slug, name, org_key, workflow, description in PROGRAMS:
        Program.objects.update_or_create(
            slug=slug,
            defaults={
                # Short, so the demo shows an unanswered request escalating within a few minutes.
                "acceptance_minutes": DEMO_ACCEPTANCE_MINUTES,
                "name": name,
                "organisation": organisations[org_key],
                "workflow": workflow,
                "description": description,
                "is_active": True,
            },
        )
    User = get_user_model()
    for persona in PERSONAS:
        user, _ = User.objects.get_or_create(username=persona.username)
        user.first_name, user.last_name = persona.first_name, persona.last_name
        user.email = f"{persona.username}@handoff.invalid"
        user.is_superuser = user.is_staff = persona.superuser
        user.set_password(password)
        user.save()
        if persona.organisation:
            membership = membership_create(
                user=user,
                organisation=organisations[persona.organisation],
                role=persona.role,
                districts=District.objects.filter(code__in=persona.districts),
                units=Unit.objects.filter(code__in=persona.units),
                all_districts=persona.all_districts,
            )
            phone = DEMO_PHONES.get(persona.username, "")
            if membership.phone != phone:
                membership.phone = phone
                membership.save(update_fields=["phone"])
    _demo_shifts()
    casework_programs_configure()
    override_holders_grant(["youth.supervisor"])
    if with_requests:
        _demo_requests()
        casework_demo_referrals()
        for seeder in _SEEDERS.values():
            seeder()
    return PERSONAS


# Callback numbers shown to the other side once a request is accepted (555-01xx: reserved for fiction).
DEMO_PHONES = {
    "officer.b2": "617-555-0102",
    "officer.d4": "617-555-0104",
    "sergeant.b2": "617-555-0110",
    "clinician.b2": "617-555-0142",
    "clinician.c11": "617-555-0143",
    "clinician.supervisor": "617-555-0150",
}

# username, districts, citywide on-call: every demo clinician is on shift, day and night, from yesterday to next week
DEMO_SHIFTS = [("clinician.b2", ("B2",), False), ("clinician.c11", ("C11",), True), ("youth.e13", ("E13",), False)]


def _demo_shifts() -> None:
    User = get_user_model()
    today = timezone.localdate()
    for username, codes, on_call in DEMO_SHIFTS:
        user = User.objects.get(username=username)
        organisation = user.memberships.first().organisation
        districts = list(District.objects.filter(code__in=codes))
        for offset in range(-1, 8):
            day = today + timedelta(days=offset)
            for start, end in ((time(7), time(19)), (time(19), time(7))):
                starts_at, ends_at = shift_span(day=day, start=start, end=end)
                if Shift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
                    continue
                shift_create(
                    organisation=organisation,
                    user=user,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    districts=districts,
                    on_call=on_call,
                )


DEMO_NAMESPACE = uuid.UUID("5b0c1c1e-6c1f-4a3e-9a57-0d3f3b8f2a10")

# officer, district, urgency, location, reasons, where the story stops
DEMO_REQUESTS = [
    ("officer.b2", "B2", Urgency.ON_SCENE_NOW, "Dudley Sq bus station", ["suicidal"], "requested"),
    (
        "officer.b2",
        "B2",
        Urgency.WITHIN_HOUR,
        "Warren St & Quincy St",
        ["welfare_check", "homelessness"],
        "requested",
    ),
    ("officer.b2", "B2", Urgency.ON_SCENE_NOW, "Malcolm X Blvd", ["psychosis"], "en_route"),
    (
        "officer.d4",
        "C11",
        Urgency.ON_SCENE_NOW,
        "Fields Corner MBTA",
        ["intoxication", "substance_use"],
        "on_scene",
    ),
    ("officer.d4", "D4", Urgency.WITHIN_HOUR, "Mass Ave & Melnea Cass", ["homelessness"], "follow_up"),
    ("officer.b2", "B2", Urgency.FOLLOW_UP, "Blue Hill Ave", ["youth_in_crisis"], "closed"),
    ("officer.d4", "D4", Urgency.ON_SCENE_NOW, "Tremont St", ["other"], "declined"),
    ("officer.b2", "B2", Urgency.WITHIN_HOUR, "Washington St", ["welfare_check"], "cancelled"),
]

DEMO_PEOPLE = [
    ("Marcus Hill", 34, "Man", "English", "Says he wants to end his life; standing near the platform edge."),
    ("", 60, "Woman", "Haitian Creole", "Sleeping outside in the cold, confused about the date."),
    ("Tanya Brooks", 27, "Woman", "English", "Hearing voices, frightened, shouting at passers-by."),
    ("Luis Ortega", 45, "Man", "Spanish", "Heavily intoxicated, asking for detox."),
    ("", 52, "Man", "English", "Lives in a tent, wound on leg, wants shelter."),
    ("Jaylen Carter", 16, "Boy", "English", "School reports threats of self-harm."),
    ("", 30, "Man", "English", "Barricaded with a knife."),
    ("Ana Souza", 41, "Woman", "Portuguese", "Neighbour worried, no answer at door."),
]


def _demo_requests() -> None:
    User = get_user_model()
    program = Program.objects.get(slug="co-response")
    clinicians = {"B2": "clinician.b2", "C11": "clinician.c11", "D4": "clinician.supervisor"}
    for number, (row, person) in enumerate(zip(DEMO_REQUESTS, DEMO_PEOPLE, strict=True)):
        officer_name, district_code, urgency, location, reasons, stop = row
        name, age, gender, language, circumstances = person
        officer = User.objects.get(username=officer_name)
        district = District.objects.get(code=district_code)
        referral, created = services.referral_file(
            new=services.NewReferral(
                program=program,
                district=district,
                urgency=urgency,
                idempotency_key=uuid.uuid5(DEMO_NAMESPACE, str(number)),
                location_text=location,
                reason_codes=reasons,
                weapon_seen=stop == "declined",
                subject_name=name,
                subject_age=age,
                subject_gender=gender,
                subject_language=language,
                circumstances=circumstances,
            ),
            officer=officer,
            officer_district=officer.memberships.first().districts.first(),
        )
        if not created:
            continue
        clinician = User.objects.get(username=clinicians[district_code])
        _play_demo_story(referral, clinician, stop)


def _play_demo_story(referral, clinician, stop: str) -> None:
    if stop == "requested":
        return
    if stop == "cancelled":
        co_response.referral_cancel(referral=referral, actor=referral.officer)
        return
    if stop == "declined":
        co_response.referral_decline(referral=referral, actor=clinician, reason="safety")
        return
    referral = co_response.referral_accept(referral=referral, actor=clinician)
    referral = co_response.referral_depart(referral=referral, actor=clinician, eta_minutes=12)
    if stop == "en_route":
        return
    referral = co_response.referral_arrive(referral=referral, actor=clinician)
    if stop == "on_scene":
        return
    disposition = Disposition.REFERRED if stop == "follow_up" else Disposition.STABILISED
    co_response.clinical_disposition_record(referral=referral, actor=clinician, disposition=disposition)
    services.clinical_note_add(
        referral=referral, actor=clinician, text="Assessed on scene; safety plan agreed with the person."
    )
    if stop == "follow_up":
        co_response.follow_up_add(
            referral=referral,
            actor=clinician,
            kind=FollowUp.Kind.PHONE_CALL,
            due_at=referral.created_at + timedelta(days=1),
        )
    co_response.referral_finish(referral=referral, actor=clinician)
