from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import DeliveryPreference, Kind, Notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox_of(user, *, limit: int = 100) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]


def preferences_of(user) -> list[dict]:
    chosen = {p.kind: p for p in DeliveryPreference.objects.filter(user=user)}
    return [
        {
            "kind": kind,
            "label": label,
            "email": chosen[kind].email if kind in chosen else False,
            "sms": chosen[kind].sms if kind in chosen else False,
        }
        for kind, label in Kind.choices
    ]
