"""A committed change is answered as done even when its side effects fail after the commit (Redis down: the hint
cannot be sent, the delivery task cannot be enqueued). The outbox row written with the change waits, and the
periodic catch-up (``outbox_deliver_due``) sends it.

The requests commit for real (transaction=True), so the side effects run from ``on_commit`` inside the request,
as in production; the test client re-raises anything that escapes the view, so a 500 cannot pass unseen.
"""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from districts.models import District
from notifications import hints, tasks
from notifications.models import Kind, OutboxMessage
from notifications.services import outbox_deliver_due, preferences_save
from referrals.models import Referral
from referrals.workflows.co_response.models import CoResponseCase, CoResponseState
from tests.referrals.factories import file_referral

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def email_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def side_effects_down():
    """Every hint and every delivery task fails as it would with Redis unreachable."""
    with (
        mock.patch.object(hints, "referral_changed", side_effect=ConnectionError("redis down")) as hint,
        mock.patch.object(tasks, "deliver", side_effect=ConnectionError("redis down")) as deliver,
    ):
        yield hint, deliver


def _email_me(user, kind: str) -> None:
    preferences_save(user=user, choices={kind: (True, False)}, mobile="")


def _outbox(user) -> list[str]:
    return list(OutboxMessage.objects.filter(notification__user=user).values_list("status", flat=True))


def test_a_filing_whose_side_effects_fail_is_saved_and_answered_302(client, personas, side_effects_down):
    hint, deliver = side_effects_down
    _email_me(personas["clinician.b2"], Kind.NEW_IN_QUEUE)
    client.force_login(personas["officer.b2"])
    data = {
        "program": "co-response",
        "idempotency_key": str(uuid.uuid4()),
        "district": District.objects.get(code="B2").pk,
        "urgency": "now",
    }

    response = client.post(reverse("referrals:new"), data)

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:police_detail", args=[referral.public_id])
    assert (hint.call_count, deliver.call_count) == (1, 1)  # both were tried, after the commit, and failed
    assert _outbox(personas["clinician.b2"]) == [OutboxMessage.Status.PENDING]

    assert outbox_deliver_due() == 1  # the catch-up, Redis back
    assert _outbox(personas["clinician.b2"]) == [OutboxMessage.Status.SENT]
    assert [message.to for message in mail.outbox] == [["clinician.b2@handoff.invalid"]]


def test_an_accept_whose_side_effects_fail_is_saved_and_answered_302(client, personas, side_effects_down):
    hint, deliver = side_effects_down
    referral = file_referral(personas["officer.b2"], "B2")
    _email_me(personas["officer.b2"], Kind.ACCEPTED)
    hint.reset_mock()
    client.force_login(personas["clinician.b2"])

    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "accept"]))

    referral.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:case", args=[referral.public_id])
    assert referral.assignee == personas["clinician.b2"]
    assert CoResponseCase.objects.get(referral=referral).state == CoResponseState.ACCEPTED
    assert hint.call_count == 1
    assert deliver.called
    assert _outbox(personas["officer.b2"]) == [OutboxMessage.Status.PENDING]

    assert outbox_deliver_due() == 1
    assert _outbox(personas["officer.b2"]) == [OutboxMessage.Status.SENT]
    assert [message.to for message in mail.outbox] == [["officer.b2@handoff.invalid"]]
