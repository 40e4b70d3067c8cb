"""Whatever an officer or a clinician writes about a person, none of it leaves Handoff's pages: no inbox line, outbox
row, email, text message, websocket hint or log line carries a value of a clinical or identifying field.

Each example runs a whole co-response story through the shared and co-response services with generated free text in
every such field, while every persona wants every kind of notice by email and by text message. The values start
with "Zq" and a field tag, so a match is a leak and never an accident of the fixed vocabulary.
"""

from __future__ import annotations

import json
import logging
import string
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from districts.models import District
from notifications import hints
from notifications.models import Contact, DeliveryPreference, Kind, Notification, OutboxMessage
from programs.models import Program
from referrals import services
from referrals.models import Urgency
from referrals.selectors import officer_home_district
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import DeclineReason, Disposition, FollowUp

ALPHABET = string.ascii_letters + string.digits + " .,'-éñüß"


def _value(tag: str, max_size: int):
    """Generated free text: "Zq" + a field tag + 6 or more characters, no surrounding space (services strip)."""
    return st.text(alphabet=ALPHABET, min_size=6, max_size=max_size).map(lambda text: f"Zq{tag}{text}".strip())


@pytest.fixture
def everyone_wants_everything(personas):
    """Every persona: a mobile number, and email plus text message for every kind of notice."""
    users = list(get_user_model().objects.all())
    for number, user in enumerate(users):
        Contact.objects.create(user=user, mobile=f"+1617555{number:04d}")
    DeliveryPreference.objects.bulk_create(
        [DeliveryPreference(user=user, kind=kind, email=True, sms=True) for user in users for kind in Kind.values]
    )
    return personas


@pytest.fixture
def frames(monkeypatch):
    """Every websocket message sent, as (groups, message): the consumer's frames are made from exactly these."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(hints, "_send", lambda groups, message: sent.append((list(groups), dict(message))))
    return sent


def _file(officer, district: str, *, name: str, language: str, circumstances: str, location: str):
    referral, created = services.referral_file(
        new=services.NewReferral(
            program=Program.objects.get(slug="co-response"),
            district=District.objects.get(code=district),
            urgency=Urgency.ON_SCENE_NOW,
            idempotency_key=uuid.uuid4(),
            location_text=location,
            subject_name=name,
            subject_age=37,
            subject_language=language,
            circumstances=circumstances,
        ),
        officer=officer,
        officer_district=officer_home_district(officer),
    )
    assert created
    return referral


def _whole_story(personas, values: dict[str, str]) -> None:
    """File, add information, accept, go, arrive, note, dispose, follow up, reassign, finish, remind; file another,
    transfer it, let it escalate, decline it."""
    officer, clinician = personas["officer.b2"], personas["clinician.b2"]
    supervisor, other = personas["clinician.supervisor"], personas["clinician.c11"]
    subject = {k: values[k] for k in ("name", "language", "circumstances", "location")}
    referral = _file(officer, "B2", **subject)
    services.referral_add_information(referral=referral, actor=officer, text=values["addendum"])
    referral = co_response.referral_accept(referral=referral, actor=clinician)
    referral = co_response.referral_depart(referral=referral, actor=clinician, eta_minutes=15)
    referral = co_response.referral_arrive(referral=referral, actor=clinician)
    services.clinical_note_add(referral=referral, actor=clinician, text=values["note"], part2=True)
    co_response.clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.REFERRED)
    co_response.follow_up_add(
        referral=referral, actor=clinician, kind=FollowUp.Kind.HOME_VISIT, due_at=timezone.now() - timedelta(minutes=1)
    )
    co_response.referral_reassign(referral=referral, actor=supervisor, clinician=other, reason=values["handover"])
    co_response.referral_finish(referral=referral, actor=other)
    assert co_response.follow_ups_remind_due(timezone.now()) == 1

    second = _file(officer, "B2", **subject)
    second = co_response.referral_transfer(
        referral=second, actor=supervisor, district=District.objects.get(code="C11"), reason=values["transfer"]
    )
    assert co_response.referrals_escalate_due(timezone.now() + timedelta(hours=1)) == 1
    co_response.referral_decline(referral=second, actor=other, reason=DeclineReason.CAPACITY)


@pytest.mark.django_db(transaction=True)  # real commits: hints, tasks and deliveries run as in production
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.fixed_dictionaries(
        {
            "name": _value("Nm", 100),
            "language": _value("Lg", 30),
            "circumstances": _value("Ci", 200),
            "location": _value("Lo", 100),
            "addendum": _value("Ad", 200),
            "note": _value("No", 200),
            "handover": _value("Ho", 200),
            "transfer": _value("Tr", 200),
        }
    )
)
def test_no_notification_email_text_frame_or_log_line_carries_a_clinical_or_identifying_value(
    everyone_wants_everything, sms_stub, frames, caplog, values
):
    personas = everyone_wants_everything
    last_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mail.outbox.clear()
    sms_stub.bodies.clear()
    sms_stub.keys.clear()
    frames.clear()
    caplog.clear()

    with caplog.at_level(logging.DEBUG):
        _whole_story(personas, values)

    notifications = list(Notification.objects.filter(pk__gt=last_notification))
    outbox = list(OutboxMessage.objects.filter(notification__in=notifications))
    # The story reaches every kind of notice, and every external message was actually sent and captured.
    assert {n.kind for n in notifications} == set(Kind.values)
    assert {m.status for m in outbox} == {OutboxMessage.Status.SENT}
    assert len(mail.outbox) == sum(m.channel == "email" for m in outbox) > 0
    assert len(sms_stub.bodies) == sum(m.channel == "sms" for m in outbox) > 0
    assert frames

    captured = {
        "inbox": [f"{n.text} {n.url}" for n in notifications],
        "outbox": [f"{m.subject} {m.body} {m.recipient} {m.last_error}" for m in outbox],
        "email": [f"{e.subject} {e.body} {e.to} {e.extra_headers}" for e in mail.outbox],
        "sms": [json.dumps(body, ensure_ascii=False) for body in sms_stub.bodies] + [str(k) for k in sms_stub.keys],
        "websocket": [json.dumps([groups, message], ensure_ascii=False) for groups, message in frames],
        "log": [record.getMessage() for record in caplog.records],
    }
    leaks = [
        (field, where, needle)
        for field, value in values.items()
        for needle in {value, value[:8]}  # the whole value, or the start of a truncated one
        for where, texts in captured.items()
        if any(needle in text for text in texts)
    ]
    assert leaks == []
