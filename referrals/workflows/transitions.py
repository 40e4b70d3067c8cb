"""What a workflow's services build on: its state row locked, moved, saved and logged with the envelope, and the
supervisor's reassignment, which is the same write in every workflow.

A workflow makes one ``StateRows`` for its one-to-one state model (its case). The sentences a person may see name
what the workflow's pages call one referral ("request", "referral").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from notifications.models import Kind
from notifications.services import notify
from referrals import events, policy
from referrals.errors import ReferralError
from referrals.models import ClinicalNote, Referral, ReferralEvent
from referrals.services import (
    announce,
    apply_status,
    grant_change,
    lock,
    partner_path,
    record_event,
    revoke_change,
    save_envelope,
    who,
)


@dataclass(frozen=True)
class StateRows:
    model: type[models.Model]  # the workflow's state model, one row per referral
    related_name: str  # the envelope's accessor for it: referral.<related_name>
    noun: str  # "request" or "referral"

    def locked(self, referral: Referral) -> tuple[Referral, models.Model]:
        """The envelope locked first (``referrals.services.lock``), then the state row."""
        referral = lock(referral)
        case = self.model.objects.select_for_update().get(referral=referral)
        setattr(referral, self.related_name, case)  # the policy reads the state from here
        return referral, case

    def transition(self, case, method_name: str, **kwargs) -> str:
        """Run one @transition (fields only) and return the state it left."""
        method = getattr(case, method_name)
        refusal = f"A {self.noun} that is {case.get_state_display().lower()} cannot be changed that way."
        if not can_proceed(method):
            raise ReferralError(refusal)
        from_state = case.state
        try:
            method(**kwargs)
        except TransitionNotAllowed:
            raise ReferralError(refusal) from None
        return from_state

    def save_case(self, case, fields=()) -> None:
        try:
            case.save(update_fields=["state", *fields])
        except ConcurrentTransition:
            raise ReferralError(
                f"Someone else changed this {self.noun} at the same moment. Reload and try again."
            ) from None

    def save(self, referral: Referral, case, case_fields=(), envelope_fields=()) -> None:
        """Save the state row and the envelope together; the envelope takes the state's police-visible status and
        phase."""
        self.save_case(case, case_fields)
        save_envelope(referral, [*envelope_fields, *apply_status(referral, case)])

    @staticmethod
    def event(referral: Referral, case, kind: str, *, actor, from_state="", message="") -> ReferralEvent:
        return record_event(referral, kind, actor=actor, from_state=from_state, to_state=case.state, message=message)

    def end(self, referral: Referral, method_name: str, case_fields=(), **kwargs) -> str:
        """A shared cascade's hook (a re-route, a withdrawal of consent): move the state row to its end and save it,
        returning the state it left. The envelope is the caller's, already locked, and the caller's to save."""
        case = self.model.objects.select_for_update().get(referral=referral)
        from_state = self.transition(case, method_name, **kwargs)
        self.save_case(case, case_fields)
        setattr(referral, self.related_name, case)
        return from_state

    def reassign(
        self, *, referral: Referral, actor, to, reason: str, among: Callable[[Referral], models.QuerySet], role: str
    ) -> Referral:
        """Hand a taken referral to another ``role`` of the same partner (one of ``among(referral)``), with a reason
        for the timeline."""
        reason = reason.strip()
        if not reason:
            raise ReferralError("Give a reason for the reassignment.")
        with transaction.atomic():
            referral, case = self.locked(referral)
            policy.require(actor, "reassign", referral)
            if not among(referral).filter(pk=to.pk).exists():
                raise ReferralError(f"{who(to)} is not a {role} of {referral.program.organisation}.")
            if to.pk == referral.assignee_id:
                raise ReferralError(f"That {role} already holds this {self.noun}.")
            previous_user_id = referral.assignee_id
            referral.assignee = to
            save_envelope(referral, ["assignee"])
            revoke_change(referral)
            grant_change(referral, to)
            ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.HANDOVER, author=actor, text=reason)
            event = self.event(referral, case, events.REASSIGNED, actor=actor, message=f"Reassigned to {who(to)}")
            notify(
                user_ids=[to.pk],
                kind=Kind.REASSIGNED,
                text=f"{self.noun.capitalize()} {referral.public_id} in {referral.district.code} reassigned to you.",
                path=partner_path(referral),
            )
            # The person it was taken from hears the same hint, so their open list drops it.
            announce(referral, event, extra_user_ids=(previous_user_id,) if previous_user_id else ())
        return referral
