"""The inbox, delivery preferences and the outbox. Texts here say what and where, never who or why."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    NEW_IN_QUEUE = "new_in_queue", "New request in my queue"
    ACCEPTED = "accepted", "My request was accepted"
    ESCALATED = "escalated", "A request was escalated to me"
    REASSIGNED = "reassigned", "A request was reassigned to me"
    FOLLOW_UP_DUE = "follow_up_due", "A follow-up is due"
    STATUS_CHANGED = "status_changed", "My referral's status changed"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Notification(models.Model):
    """One line in a person's inbox. ``text`` is built from codes (reference, district, urgency, status)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text = models.CharField(max_length=200)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.text


class DeliveryPreference(models.Model):
    """Beyond the inbox (always on): does this person want this kind by email, by text message?"""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delivery_preferences")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_kind")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"


class Contact(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact")
    mobile = models.CharField(max_length=20, blank=True, help_text="For text messages, in +1… form.")

    def __str__(self) -> str:
        return f"Contact of {self.user}"


class OutboxMessage(models.Model):
    """An external delivery, written in the transaction of the change that caused it; a worker sends it later.

    A worker owns a message while ``claim_token`` holds the token it wrote in its claim and ``claimed_until`` has
    not passed; every update it makes after the claim requires that token. ``idempotency_key`` is the same on every
    attempt, so a receiver can drop a repeat of a message it already has.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class RelayNonce(models.Model):
    """A relayed hint's one-time number, kept while its timestamp is inside the window: the same post twice fails.

    Old rows are pruned as new ones arrive (notifications.relay).
    """

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.nonce
