"""The casework programs of the demo (YouthConnect, street outreach, DV advocacy, the trauma call-back), their
reasons and routes, and referrals in several states so youth.e13's and youth.supervisor's queues are alive."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from districts.models import District
from programs.models import DeadlineUnit, Program, ProgramReason
from referrals import consent, services
from referrals.models import Urgency
from referrals.workflows.casework import services as casework
from routing.models import Route, RouteStep

REASONS = {
    "youthconnect": [
        ("family_conflict", "Family conflict"),
        ("truancy", "Truancy"),
        ("witness_to_violence", "Witness to violence"),
        ("victim_of_violence", "Victim of violence"),
        ("gang_involvement_risk", "Gang involvement risk"),
        ("substance_use", "Substance use"),
        ("mental_health", "Mental health"),
        ("runaway", "Runaway"),
        ("school_discipline", "School discipline"),
    ],
    "street-outreach": [
        ("gang_involvement_risk", "Gang involvement risk"),
        ("victim_of_violence", "Victim of violence"),
        ("recently_released", "Recently released from custody"),
        ("homelessness", "Homelessness"),
        ("substance_use", "Substance use"),
    ],
    "dv-advocacy": [
        ("intimate_partner_violence", "Intimate partner violence"),
        ("family_violence", "Family violence"),
        ("stalking", "Stalking or harassment"),
        ("sexual_assault", "Sexual assault"),
    ],
    "trauma-callback": [
        ("witness_to_violence", "Witness to violence"),
        ("victim_of_violence", "Victim of violence"),
        ("sudden_death", "Sudden death of a loved one"),
        ("community_violence", "Community violence nearby"),
    ],
}

# slug: (min age, max age, self-consent age, first contact amount, unit)
SETTINGS = {
    "youthconnect": (10, 24, 16, 2, DeadlineUnit.BUSINESS_DAYS),
    "street-outreach": (16, 24, 16, 3, DeadlineUnit.BUSINESS_DAYS),
    "dv-advocacy": (None, None, 18, 1, DeadlineUnit.BUSINESS_DAYS),
    "trauma-callback": (None, None, 18, 30, DeadlineUnit.MINUTES),
}

# YouthConnect's social workers sit in six district stations; the other districts are routed to a neighbour's.
YOUTHCONNECT_STATIONS = ("B2", "B3", "C11", "D4", "E13", "E18")
YOUTHCONNECT_ROUTES = {"A1": "D4", "A7": "A1", "A15": "D4", "C6": "C11", "D14": "D4", "E5": "E13"}


def casework_programs_configure() -> None:
    for slug, (youngest, oldest, self_consent, amount, unit) in SETTINGS.items():
        program = Program.objects.get(slug=slug)
        program.min_age, program.max_age, program.self_consent_age = youngest, oldest, self_consent
        program.first_contact_amount, program.first_contact_unit = amount, unit
        program.uses_rosters = False
        program.save()
        for position, (code, label) in enumerate(REASONS[slug]):
            ProgramReason.objects.update_or_create(
                program=program, code=code, defaults={"label": label, "position": position, "is_active": True}
            )
    youthconnect = Program.objects.get(slug="youthconnect")
    # A program with routes serves only the districts it has routes for: each station needs its own route too.
    stations = {code: code for code in YOUTHCONNECT_STATIONS} | YOUTHCONNECT_ROUTES
    for code, station in stations.items():
        route, _ = Route.objects.get_or_create(program=youthconnect, district=District.objects.get(code=code))
        route.steps.all().delete()
        station_district = District.objects.get(code=YOUTHCONNECT_ROUTES.get(station, station))
        RouteStep.objects.create(route=route, position=0, kind=RouteStep.Kind.DISTRICT_TEAM, district=station_district)
        RouteStep.objects.create(route=route, position=1, kind=RouteStep.Kind.SUPERVISORS)


def override_holders_grant(usernames) -> None:
    permission = Permission.objects.get(content_type__app_label="referrals", codename="override_consent")
    for user in get_user_model().objects.filter(username__in=usernames):
        user.user_permissions.add(permission)


DEMO_NAMESPACE = uuid.UUID("a4f3c2d0-9a0e-4c1b-8d0e-6f1f0c3e5b27")

# officer, district, program, (name, age, born, language), reasons, consent on scene, where the story stops
DEMO_REFERRALS = [
    (
        "officer.d4",
        "E13",
        "youthconnect",
        ("Kayla Mendes", 15, date(2011, 2, 9), "English"),
        ["witness_to_violence"],
        "guardian",
        "submitted",
    ),
    (
        "officer.d4",
        "E13",
        "youthconnect",
        ("Andre Baptiste", 13, date(2013, 5, 21), "Haitian Creole"),
        ["family_conflict", "truancy"],
        "not_yet",
        "assigned",
    ),
    (
        "officer.d4",
        "E13",
        "youthconnect",
        ("Mateo Silva", 17, date(2009, 8, 2), "Portuguese"),
        ["gang_involvement_risk"],
        "person",
        "contact_attempted",
    ),
    (
        "officer.b2",
        "E13",
        "youthconnect",
        ("Zoe Tran", 14, date(2012, 1, 30), "Vietnamese"),
        ["runaway", "mental_health"],
        "guardian",
        "engaged",
    ),
    (
        "officer.b2",
        "E5",
        "youthconnect",
        ("Devon Price", 16, date(2010, 11, 12), "English"),
        ["school_discipline"],
        "person",
        "closed",
    ),
    (
        "officer.b2",
        "B2",
        "youthconnect",
        ("Imani Clarke", 12, date(2014, 4, 4), "English"),
        ["victim_of_violence"],
        "guardian",
        "submitted",
    ),
    (
        "officer.b2",
        "B2",
        "street-outreach",
        ("Tyrell Owens", 19, date(2007, 7, 7), "English"),
        ["recently_released"],
        "person",
        "submitted",
    ),
    (
        "officer.d4",
        "D4",
        "dv-advocacy",
        ("Rosa Delgado", 32, date(1994, 9, 18), "Spanish"),
        ["intimate_partner_violence"],
        "person",
        "engaged",
    ),
    (
        "officer.b2",
        "B2",
        "trauma-callback",
        ("Hannah Weiss", 41, date(1985, 3, 3), "English"),
        ["sudden_death"],
        "person",
        "submitted",
    ),
    (
        "officer.d4",
        "D4",
        "street-outreach",
        ("Marcus Bell", 20, date(2006, 10, 1), "English"),
        ["gang_involvement_risk"],
        "person",
        "contact_attempted",
    ),
    (
        "officer.b2",
        "B2",
        "street-outreach",
        ("Kevin Osei", 22, date(2004, 2, 14), "English"),
        ["homelessness"],
        "person",
        "engaged",
    ),
    (
        "officer.d4",
        "D4",
        "dv-advocacy",
        ("Lina Haddad", 28, date(1998, 6, 6), "Arabic"),
        ["stalking"],
        "person",
        "assigned",
    ),
    (
        "officer.b2",
        "B2",
        "dv-advocacy",
        ("Joy Adeyemi", 36, date(1990, 12, 24), "English"),
        ["family_violence"],
        "person",
        "closed",
    ),
    (
        "officer.d4",
        "D4",
        "trauma-callback",
        ("Paul Nguyen", 55, date(1971, 4, 9), "Vietnamese"),
        ["community_violence"],
        "person",
        "engaged",
    ),
    (
        "officer.b2",
        "B2",
        "trauma-callback",
        ("Rita Costa", 47, date(1979, 8, 30), "Portuguese"),
        ["witness_to_violence"],
        "person",
        "closed",
    ),
]


def casework_demo_referrals() -> None:
    User = get_user_model()
    worker = User.objects.get(username="youth.e13")
    for number, (officer_name, code, slug, person, reasons, on_scene, stop) in enumerate(DEMO_REFERRALS):
        name, age, born, language = person
        program = Program.objects.get(slug=slug)
        labels = dict(program.reasons.values_list("code", "label"))
        officer = User.objects.get(username=officer_name)
        referral, created = services.referral_file(
            new=services.NewReferral(
                program=program,
                district=District.objects.get(code=code),
                urgency=Urgency.FOLLOW_UP,
                idempotency_key=uuid.uuid5(DEMO_NAMESPACE, str(number)),
                reason_codes=reasons,
                reason_names=[labels[reason] for reason in reasons],
                subject_name=name,
                subject_age=age,
                subject_language=language,
                circumstances="Met after a call for service; agreed to a referral.",
                extra={
                    "person": {
                        "date_of_birth": born,
                        "phone": "617-555-01" + str(60 + number),
                        "guardian_name": "Guardian of " + name.split()[0] if age < 18 else "",
                        "guardian_phone": "617-555-01" + str(80 + number) if age < 18 else "",
                    },
                    "consent": on_scene,
                },
            ),
            officer=officer,
            officer_district=officer.memberships.first().districts.first(),
        )
        if not created or stop == "submitted":
            continue
        holder = worker if program.slug == "youthconnect" else _worker_of(program)
        referral = casework.referral_assign(referral=referral, actor=holder)
        if stop == "assigned":
            continue
        casework.contact_attempt_add(referral=referral, actor=holder, method="phone", outcome="left_message")
        if stop == "contact_attempted":
            continue
        if consent.consent_in_force(referral) is None:
            consent.consent_record(referral=referral, actor=holder, given_by="guardian", giver_name="Guardian")
        referral = casework.referral_engage(referral=referral, actor=holder, tier="2")
        casework.goal_add(referral=referral, actor=holder, area="safety", text="Safety plan with the family")
        if stop == "closed":
            casework.referral_close(referral=referral, actor=holder, reason="goals_met")


def _worker_of(program):
    from accounts.models import Role

    return (
        get_user_model()
        .objects.filter(memberships__organisation=program.organisation, memberships__role=Role.WORKER)
        .order_by("pk")
        .first()
    )
