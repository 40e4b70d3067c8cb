"""Demo data: Boston's partners, programs and one person per role. Run it again and it converges."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Organisation, Role
from accounts.services import membership_create
from districts.boston import BOSTON_DISTRICTS, BOSTON_UNITS
from districts.models import District, Unit
from referrals.models import Program, Workflow

ORGANISATIONS = [
    # key, name, short name, kind
    ("bpd", "Boston Police Department", "BPD", Organisation.Kind.POLICE),
    ("best", "Boston Emergency Services Team, Boston Medical Center", "BEST", Organisation.Kind.CLINICAL),
    ("youthconnect", "YouthConnect, Boys & Girls Clubs of Boston", "YouthConnect", Organisation.Kind.YOUTH),
    ("roca", "Roca Boston", "Roca", Organisation.Kind.PARTNER),
    ("fjc", "Family Justice Center of Boston", "FJC", Organisation.Kind.PARTNER),
    ("hub", "Boston Hub, Office of Public Safety", "Boston Hub", Organisation.Kind.HUB_AGENCY),
    ("housing", "Boston Housing Authority", "BHA", Organisation.Kind.HUB_AGENCY),
    ("school", "Boston Public Schools", "BPS", Organisation.Kind.HUB_AGENCY),
    ("health", "Boston Public Health Commission", "BPHC", Organisation.Kind.HUB_AGENCY),
]

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
    Persona("hub.coordinator", "Terry", "Nguyen", "hub", Role.HUB_COORDINATOR, all_districts=True),
    Persona("agency.housing", "Pat", "Sullivan", "housing", Role.HUB_MEMBER),
    Persona("agency.school", "Morgan", "Ellis", "school", Role.HUB_MEMBER),
    Persona("analyst", "Robin", "Castro", "bpd", Role.ANALYST),
    Persona("admin", "Casey", "Admin", None, None, superuser=True),
]


def _places() -> None:
    for code, name in BOSTON_DISTRICTS:
        District.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in BOSTON_UNITS:
        Unit.objects.get_or_create(code=code, defaults={"name": name})


@transaction.atomic
def demo_seed(*, password: str) -> list[Persona]:
    _places()
    organisations = {}
    for key, name, short_name, kind in ORGANISATIONS:
        organisations[key], _ = Organisation.objects.update_or_create(
            name=name, defaults={"short_name": short_name, "kind": kind, "is_active": True}
        )
    for slug, name, org_key, workflow, description in PROGRAMS:
        Program.objects.update_or_create(
            slug=slug,
            defaults={
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
            membership_create(
                user=user,
                organisation=organisations[persona.organisation],
                role=persona.role,
                districts=District.objects.filter(code__in=persona.districts),
                units=Unit.objects.filter(code__in=persona.units),
                all_districts=persona.all_districts,
            )
    return PERSONAS
