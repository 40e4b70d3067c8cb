"""Notify people: an inbox row always, an outbox row per external channel they chose, a hint after commit.

Callers (the referrals app) pass user ids, a kind, and a text built from codes: this app never sees a referral.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import hints
from notifications.models import Channel, Contact, DeliveryPreference, Notification, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


def notify(*, user_ids, kind: str, text: str, path: str = "") -> list[Notification]:
    """Write inbox and outbox rows in the caller's transaction; the hint and the sending wait for its commit."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        [Notification(user_id=user_id, kind=kind, text=text[:200], url=path) for user_id in user_ids]
    )
    preferences = {p.user_id: p for p in DeliveryPreference.objects.filter(user_id__in=user_ids, kind=kind)}
    emails = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "email"))
    mobiles = dict(Contact.objects.filter(user_id__in=user_ids).values_list("user_id", "mobile"))
    link = f"{settings.PUBLIC_BASE_URL}{path}" if path else settings.PUBLIC_BASE_URL
    outbox = []
    for notification in notifications:
        preference = preferences.get(notification.user_id)
        if preference is None:
            continue
        body = f"{text} Open Handoff: {link}"[:500]
        if preference.email and emails.get(notification.user_id):
            outbox.append(
                OutboxMessage(
                    notification=notification,
                    channel=Channel.EMAIL,
                    recipient=emails[notification.user_id],
                    subject=f"Handoff: {notification.get_kind_display()}",
                    body=body,
                    next_attempt_at=now,
                )
            )
        if preference.sms and settings.SMS_WEBHOOK_URL and mobiles.get(notification.user_id):
            outbox.append(
                OutboxMessage(
                    notification=notification,
                    channel=Channel.SMS,
                    recipient=mobiles[notification.user_id],
                    body=body,
                    next_attempt_at=now,
                )
            )
    OutboxMessage.objects.bulk_create(outbox)
    transaction.on_commit(lambda: _after_commit(user_ids, [n.pk for n in notifications]), robust=True)
    return notifications


def _after_commit(user_ids: list[int], notification_ids: list[int]) -> None:
    hints.inbox_changed(user_ids=user_ids)
    from notifications.tasks import deliver

    for message_id in OutboxMessage.objects.filter(
        notification_id__in=notification_ids, status=OutboxMessage.Status.PENDING
    ).values_list("pk", flat=True):
        deliver(message_id)


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one notification (or all, with None) as read; returns how many changed."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    changed = rows.update(read_at=timezone.now())
    if changed:
        transaction.on_commit(lambda: hints.inbox_changed(user_ids=[user.pk]))
    return changed


def preferences_save(*, user, choices: dict[str, tuple[bool, bool]], mobile: str) -> None:
    with transaction.atomic():
        for kind, (email, sms) in choices.items():
            DeliveryPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": email, "sms": sms})
        Contact.objects.update_or_create(user=user, defaults={"mobile": mobile})


# --- delivery -------------------------------------------------------------------------------------------------


def _claim(message_id: int, now) -> bool:
    """Take a message for sending. One conditional UPDATE, so exactly one worker wins; a claim expires, so a
    worker that died mid-send does not strand the message."""
    claimable = Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, claimed_until__lt=now
    )
    claimed = OutboxMessage.objects.filter(claimable, pk=message_id).update(
        status=OutboxMessage.Status.SENDING,
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def _send(message: OutboxMessage) -> None:
    if message.channel == Channel.EMAIL:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
        return
    payload = json.dumps({"to": message.recipient, "text": message.body}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's own webhook setting
        settings.SMS_WEBHOOK_URL, data=payload, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - non-2xx raises HTTPError
        response.read()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def outbox_deliver(*, message_id: int, now=None) -> bool:
    """Send one outbox message if it is due and nobody else is sending it. True if this call sent it."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        _send(message)
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            next_attempt_at=now + backoff(message.attempts),
            claimed_until=None,
            last_error=type(exc).__name__,  # the class only: an exception text can echo the message body
        )
        log.warning("outbox %s: attempt %s failed (%s)", message_id, message.attempts, type(exc).__name__)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return True


def outbox_deliver_due(now=None) -> int:
    """Send everything due: new rows whose task was lost, retries, and claims of workers that died."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:500])
    return sum(outbox_deliver(message_id=pk, now=now) for pk in ids)
