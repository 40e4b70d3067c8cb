"""The building blocks every Hub write shares: lock, transition, save, event, announce, clean text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from accounts.models import Membership, Role
from hub import policy
from hub.models import (
    DESCRIPTION_MAX,
    AffectedIdentity,
    Meeting,
    Situation,
    SituationEvent,
    Table,
    TableAgency,
    validate_deidentified,
)
from notifications import hints
from referrals.errors import ReferralError


def lock_situation(situation: Situation) -> Situation:
    """Re-read the situation under a row lock (PostgreSQL) or SQLite's write transaction, with its table."""
    return (
        Situation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("table", "originating__organisation")
        .get(pk=situation.pk)
    )


def run_transition(situation: Situation, method_name: str, **kwargs) -> str:
    method = getattr(situation, method_name)
    refusal = f"A situation that is {situation.get_state_display().lower()} cannot be changed that way."
    if not can_proceed(method):
        raise ReferralError(refusal)
    from_state = situation.state
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        raise ReferralError(refusal) from None
    return from_state


def save_fields(situation: Situation, fields: Sequence[str]) -> None:
    try:
        situation.save(update_fields=sorted({*fields, "updated_at"}))
    except ConcurrentTransition:
        raise ReferralError("Someone else changed this situation at the same moment. Reload and try again.") from None
    policy.forget(situation)


def event_record(
    situation: Situation, kind: str, *, actor, from_state: str = "", meeting: Meeting | None = None, message: str = ""
) -> SituationEvent:
    return SituationEvent.objects.create(
        situation=situation,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=situation.state,
        meeting=meeting,
        message=message[:200],
    )


def audience_ids(table_id: int) -> set[int]:
    """Everyone whose pages show this table: its coordinators and the people who act for its agencies."""
    agencies = TableAgency.objects.filter(table_id=table_id, is_active=True)
    organisation_ids = list(agencies.values_list("organisation_id", flat=True))
    table = Table.objects.only("organisation_id").get(pk=table_id)
    people = set(
        Membership.objects.filter(
            Q(organisation_id=table.organisation_id, role=Role.HUB_COORDINATOR)
            | Q(organisation_id__in=organisation_ids, role__in=policy.HUB_ROLES),
            is_active=True,
            pending=False,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
    people |= set(agencies.filter(representatives__is_active=True).values_list("representatives", flat=True))
    return people


def coordinator_ids(table: Table) -> list[int]:
    return list(
        Membership.objects.filter(
            organisation_id=table.organisation_id,
            role=Role.HUB_COORDINATOR,
            is_active=True,
            pending=False,
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def announce(situation: Situation, event: SituationEvent, *, extra_user_ids: Iterable[int] = ()) -> None:
    """After commit: the situation's pages and its table's agenda fetch again. No data in the hint."""
    public_id, table_id, sequence = situation.public_id, situation.table_id, event.pk
    extra = {situation.proposed_by_id, *extra_user_ids}

    def send() -> None:
        hints.hub_situation_changed(
            public_id=public_id, table_id=table_id, user_ids=audience_ids(table_id) | extra, sequence=sequence
        )

    transaction.on_commit(send, robust=True)


def announce_agenda(table_id: int, sequence: int) -> None:
    transaction.on_commit(
        lambda: hints.hub_agenda_changed(table_id=table_id, user_ids=audience_ids(table_id), sequence=sequence),
        robust=True,
    )


def situation_path(situation: Situation) -> str:
    return f"/hub/situations/{situation.public_id}/"


def agency_names(agencies: Iterable[TableAgency]) -> str:
    return ", ".join(sorted(str(a.organisation) for a in agencies))


def clean_text(text: str, *, names: Iterable[str] = (), limit: int = DESCRIPTION_MAX, what: str = "text") -> str:
    """Stripped, bounded, and free of the obvious identifiers (``validate_deidentified``) and of the people's names."""
    text = (text or "").strip()
    if not text:
        raise ReferralError(f"Write the {what}.")
    if len(text) > limit:
        raise ReferralError(f"Keep the {what} to {limit} characters (it has {len(text)}).")
    try:
        validate_deidentified(text)
    except ValidationError as error:
        raise ReferralError(error.messages[0]) from None
    lowered = text.lower()
    for name in names:
        for part in re.findall(r"[\w'-]{3,}", name.lower()):
            if re.search(rf"\b{re.escape(part)}\b", lowered):
                raise ReferralError(f"The {what} names an affected person. Write it without their name.")
    return text


def names_of(situation: Situation) -> list[str]:
    """The affected persons' names, for refusing them in de-identified text. Read by a service, never shown."""
    return list(AffectedIdentity.objects.filter(person__situation=situation).values_list("full_name", flat=True))
