"""One seeded world for the security tests: the demo's people, an inactive account, and for each kind of object a
route can name (referral, notification, shift) one that a persona may reach and one that belongs to someone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

MISSING_ID = 987654321
MISSING_PUBLIC_ID = "ZZZ-NO-SUCH-REQUEST"


@dataclass
class World:
    users: dict  # username -> User; "inactive" is a deactivated officer of B2
    referrals: dict = field(default_factory=dict)  # key -> Referral (see `world`)
    notifications: dict = field(default_factory=dict)  # username -> that persona's own notification id
    shifts: dict = field(default_factory=dict)  # organisation short name -> a shift id of that organisation


@pytest.fixture
def world(personas) -> World:
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation
    from districts.models import District
    from notifications.models import Channel, Kind, OutboxMessage
    from notifications.services import notify, preferences_save
    from referrals.services import clinical_record_read
    from routing.models import Shift
    from routing.services import shift_create, shift_span
    from tests.referrals.factories import file_casework, file_referral

    users = dict(personas)
    inactive = get_user_model().objects.create_user(username="inactive", password="x", is_active=False)
    users["inactive"] = inactive
    w = World(users=users)
    # co_b2: filed in B2 by officer.b2 (B2's clinician holds it); co_c11: filed in C11 by officer.d4.
    w.referrals["co_b2"] = file_referral(users["officer.b2"], "B2", location_text="Dudley Sq")
    w.referrals["co_c11"] = file_referral(users["officer.d4"], "C11", location_text="Fields Corner")
    w.referrals["yc_e13"] = file_casework(users["officer.d4"], "E13")
    for program, key in (("street-outreach", "so"), ("dv-advocacy", "dv"), ("trauma-callback", "tc")):
        w.referrals[key] = file_casework(users["officer.d4"], "D4", program=program, subject_age=30)
    for username, user in users.items():
        [note] = notify(user_ids=[user.pk], kind=Kind.STATUS_CHANGED, text=f"For {username}.", path="/")
        w.notifications[username] = note.pk
    # The demo rosters BEST's and YouthConnect's front line day and night; the trauma line gets a shift here.
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts_at, ends_at = shift_span(day=tomorrow, start=time(8), end=time(9))
    trauma = shift_create(
        organisation=Organisation.objects.get(short_name="Trauma line"),
        user=users["trauma.line"],
        starts_at=starts_at,
        ends_at=ends_at,
        districts=list(District.objects.filter(code="D4")),
        on_call=False,
    )
    w.shifts["Trauma line"] = trauma.pk
    for short_name in ("BEST", "YouthConnect"):
        w.shifts[short_name] = Shift.objects.filter(organisation__short_name=short_name).order_by("pk")[0].pk
    # A row for every admin model's object pages: a read of a clinical record, a delivery preference, an email.
    clinical_record_read(user=users["clinician.b2"], referral=w.referrals["co_b2"], view="tests", reason="matrix")
    preferences_save(user=users["officer.b2"], choices={Kind.STATUS_CHANGED: (True, False)}, mobile="")
    OutboxMessage.objects.create(
        notification_id=w.notifications["officer.b2"],
        channel=Channel.EMAIL,
        recipient="officer.b2@handoff.invalid",
        subject="Handoff",
        body="A request changed.",
        status=OutboxMessage.Status.FAILED,
        next_attempt_at=timezone.now(),
    )
    return w


def _tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed)


def row_counts() -> dict[str, int]:
    """Rows in every table the project's models own, in one query (cheap enough to take around every request)."""
    tables = [table for table in _tables() if table != "django_session"]  # a login writes one: not data
    quote = connection.ops.quote_name
    # Table names come from the models, not from input.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


class Rollback(Exception):
    pass


def in_savepoint(run):
    """Run ``run()`` in a savepoint that is always rolled back, so each request sees the same seeded world."""
    result = None
    try:
        with transaction.atomic():
            result = run()
            raise Rollback
    except Rollback:
        pass
    return result
