"""Referrals for tests, made the way the app makes them: through referrals.services, never raw saves of state."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from districts.models import District
from programs.models import Program
from referrals import services
from referrals.models import Referral, Urgency
from referrals.selectors import officer_home_district
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import Disposition, FollowUp

# How far along a clinician takes a request, in the co-response order.
STEPS = ("accepted", "en_route", "on_scene", "disposed")


def file_referral(officer, district: str = "B2", **fields) -> Referral:
    """File a co-response request as `officer` for the person in `district` (a code such as "B2")."""
    new = services.NewReferral(
        program=Program.objects.get(slug="co-response"),
        district=District.objects.get(code=district),
        urgency=fields.pop("urgency", Urgency.ON_SCENE_NOW),
        idempotency_key=uuid.uuid4(),
        **fields,
    )
    referral, created = services.referral_file(
        new=new, officer=officer, officer_district=officer_home_district(officer)
    )
    assert created
    return referral


def advance(referral: Referral, clinician, to: str) -> Referral:
    """Accept as `clinician` and go on to `to` (one of STEPS); "disposed" is on scene with a disposition."""
    referral = co_response.referral_accept(referral=referral, actor=clinician)
    if to == "accepted":
        return referral
    referral = co_response.referral_depart(referral=referral, actor=clinician, eta_minutes=12)
    if to == "en_route":
        return referral
    referral = co_response.referral_arrive(referral=referral, actor=clinician)
    if to == "on_scene":
        return referral
    assert to == "disposed", to
    co_response.clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.STABILISED)
    return referral


def add_follow_up(referral: Referral, clinician) -> FollowUp:
    return co_response.follow_up_add(
        referral=referral,
        actor=clinician,
        kind=FollowUp.Kind.PHONE_CALL,
        due_at=timezone.now() + timedelta(days=1),
    )


def form_datetime(value) -> str:
    """A datetime as the browser's datetime-local input sends it."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def file_casework(officer, district: str = "E13", program: str = "youthconnect", **fields) -> Referral:
    """File a casework referral as `officer` the way the officer's form does (consent given on scene by default)."""
    from datetime import date

    program_row = Program.objects.get(slug=program)
    reasons = fields.pop("reason_codes", None) or [program_row.reasons.filter(is_active=True).first().code]
    person = {
        "date_of_birth": fields.pop("date_of_birth", date(2011, 3, 14)),
        "phone": fields.pop("phone", "617-555-0188"),
        "address": fields.pop("address", "12 Example St"),
        "guardian_name": fields.pop("guardian_name", "Ana Example"),
        "guardian_relationship": fields.pop("guardian_relationship", "mother"),
        "guardian_phone": fields.pop("guardian_phone", "617-555-0189"),
    }
    new = services.NewReferral(
        program=program_row,
        district=District.objects.get(code=district),
        urgency=Urgency.FOLLOW_UP,
        idempotency_key=uuid.uuid4(),
        reason_codes=reasons,
        reason_names=[program_row.reasons.get(code=code).label for code in reasons],
        subject_name=fields.pop("subject_name", "Jamie Example"),
        subject_age=fields.pop("subject_age", 15),
        extra={"person": person, "consent": fields.pop("consent", "guardian")},
        **fields,
    )
    referral, created = services.referral_file(
        new=new, officer=officer, officer_district=officer_home_district(officer)
    )
    assert created
    return referral


# How far along a worker takes a casework referral, in the casework order.
CASEWORK_STEPS = ("assigned", "contact_attempted", "engaged", "declined", "unable_to_reach", "closed")


def advance_casework(referral: Referral, worker, to: str) -> Referral:
    """Assign to `worker` and go on to `to` (one of CASEWORK_STEPS) through the services; "engaged" and "closed"
    (goals met) need consent in force, as the worker's own would."""
    from referrals.workflows.casework import services as casework

    referral = casework.referral_assign(referral=referral, actor=worker)
    if to == "assigned":
        return referral
    if to == "declined":
        return casework.referral_decline(referral=referral, actor=worker, declined_by="guardian")
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="left_message")
    if to == "contact_attempted":
        return referral
    if to == "unable_to_reach":
        return casework.referral_unable_to_reach(referral=referral, actor=worker)
    referral = casework.referral_engage(referral=referral, actor=worker, tier="2")
    if to == "engaged":
        return referral
    assert to == "closed", to
    return casework.referral_close(referral=referral, actor=worker, reason="goals_met")


def partner_person(username: str, organisation: str, role: str, districts=(), all_districts: bool = False):
    """Another partner staff member beside the demo's (a second YouthConnect worker, a supervisor without the
    "override consent" permission), made the way the admin makes one: a membership, its groups synced."""
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation
    from accounts.services import membership_create

    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": username.split(".")[0].title(), "last_name": "Tester"}
    )
    membership_create(
        user=user,
        organisation=Organisation.objects.get(short_name=organisation),
        role=role,
        districts=District.objects.filter(code__in=districts),
        all_districts=all_districts,
    )
    return user


def second_youth_worker():
    """A second YouthConnect worker of the E13 station team (the demo has one): someone to reassign a case to."""
    from accounts.models import Role

    return partner_person("youth.e13b", "YouthConnect", Role.WORKER, districts=("E13",))
