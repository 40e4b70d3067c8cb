"""Notify people: an inbox row always, an outbox row per external channel they chose, a hint after commit.

Callers (the referrals app) pass user ids, a kind, and a text built from codes: this app never sees a referral.
"""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import hints
from notifications.models import Channel, Contact, DeliveryPreference, Notification, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


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
        transaction.on_commit(lambda: hints.inbox_changed(user_ids=[user.pk]), robust=True)
    return changed


def preferences_save(*, user, choices: dict[str, tuple[bool, bool]], mobile: str) -> None:
    with transaction.atomic():
        for kind, (email, sms) in choices.items():
            DeliveryPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": email, "sms": sms})
        Contact.objects.update_or_create(user=user, defaults={"mobile": mobile})


# --- delivery -------------------------------------------------------------------------------------------------
#
# Exactly once, as far as a sender can make it: a claim is a fresh token and a lease, written by one conditional
# UPDATE, and every later write about the message requires the same token, so a worker whose lease ran out and was
# taken over writes nothing. Network timeouts end a send well before its lease does. When a send outlives its lease
# all the same (a paused process, a slow DNS answer) a second worker may send again: both attempts carry the
# message's idempotency key, and the receiver drops the repeat.

# urllib and smtplib apply their timeout to each blocking socket operation, not to the whole send. An SMTP send is
# up to about ten of them (connect, greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the message), a webhook
# post four; the lease covers ten and leaves two for the worker's own reads and writes.
OPERATIONS_PER_SEND = 10
LEASE_IN_TIMEOUTS = OPERATIONS_PER_SEND + 2


def claim_lease() -> timedelta:
    """How long a claim lasts: derived from the send timeout, so no setting can make a send outlive its claim."""
    return timedelta(seconds=settings.OUTBOX_SEND_TIMEOUT * LEASE_IN_TIMEOUTS)


def _claim(message_id: int, now) -> uuid.UUID | None:
    """Take a message for sending: one conditional UPDATE, so exactly one worker wins. The winner's token is returned;
    every later write about the message must present it. A claim expires, so a worker that died mid-send does not
    strand the message; a SENT or FAILED message is never claimed."""
    token = uuid.uuid4()
    claimable = Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, claimed_until__lt=now
    )
    claimed = OutboxMessage.objects.filter(claimable, pk=message_id).update(
        status=OutboxMessage.Status.SENDING,
        claim_token=token,
        claimed_until=now + claim_lease(),
        attempts=F("attempts") + 1,
    )
    return token if claimed == 1 else None


def _finish(message_id: int, token: uuid.UUID, **fields) -> bool:
    """Write the end of this worker's attempt, only if its claim is still the message's claim."""
    changed = OutboxMessage.objects.filter(
        pk=message_id, claim_token=token, status=OutboxMessage.Status.SENDING
    ).update(claim_token=None, claimed_until=None, **fields)
    if not changed:
        log.warning("outbox %s: claim was taken over before this attempt ended; its result is not recorded", message_id)
    return changed == 1


def _message_id_header(message: OutboxMessage) -> str:
    """A Message-ID made from the idempotency key: the same on every attempt, and the same from any worker's host
    (Django's default uses the host's name and a fresh random part)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{message.idempotency_key}@{domain}>"


def _send(message: OutboxMessage, *, timeout: float) -> None:
    key = str(message.idempotency_key)
    if message.channel == Channel.EMAIL:
        EmailMessage(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.recipient],
            headers={"Message-ID": _message_id_header(message)},
            connection=get_connection(timeout=timeout),
        ).send()
        return
    payload = json.dumps({"to": message.recipient, "text": message.body, "idempotency_key": key}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's own webhook setting
        settings.SMS_WEBHOOK_URL,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - non-2xx raises HTTPError
        response.read()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def outbox_deliver(*, message_id: int, now=None) -> bool:
    """Send one outbox message if it is due and nobody else holds it. True if this call sent it and recorded that."""
    now = now or timezone.now()
    token = _claim(message_id, now)
    if token is None:
        return False
    message = OutboxMessage.objects.filter(pk=message_id, claim_token=token).first()
    if message is None:  # another worker took it over between the claim and this read: the lease had already passed
        return False
    try:
        _send(message, timeout=settings.OUTBOX_SEND_TIMEOUT)
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        if _finish(
            message_id,
            token,
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            next_attempt_at=now + backoff(message.attempts),
            last_error=type(exc).__name__,  # the class only: an exception text can echo the message body
        ):
            log.warning("outbox %s: attempt %s failed (%s)", message_id, message.attempts, type(exc).__name__)
        return False
    return _finish(message_id, token, status=OutboxMessage.Status.SENT, sent_at=timezone.now(), last_error="")


def outbox_deliver_due(now=None) -> int:
    """Send everything due: new rows whose task was lost, retries, and claims of workers that died.

    Without `now` (the periodic task), each claim reads the clock when it is taken, so the last claims of a long
    sweep get a whole lease too; tests pass `now` to stand at a moment of their choosing."""
    due_at = now or timezone.now()
    due = OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=due_at)
        | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=due_at)
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:500])
    return sum(outbox_deliver(message_id=pk, now=now) for pk in ids)
