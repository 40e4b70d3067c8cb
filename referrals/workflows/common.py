"""Actions every workflow offers through the shared services, the same but for the workflow's own form or words."""

from __future__ import annotations

from django import forms

from referrals import services as shared
from referrals.forms import RerouteForm
from referrals.workflows import Action


def note_action(form: type[forms.Form]) -> Action:
    """A clinical or case note (``form`` names it), Part 2 or not."""
    return Action(
        "Add note",
        "given notes",
        lambda *, referral, actor, data: shared.clinical_note_add(
            referral=referral, actor=actor, text=data["text"], part2=data["part2"]
        ),
        form=form,
        done="Note added.",
    )


REROUTE = Action(
    "Re-route",
    "re-routed",
    lambda *, referral, actor, data: shared.referral_reroute(
        referral=referral, actor=actor, program=data["program"], reason=data["reason"]
    ),
    form=RerouteForm,
    done="Sent on to the other program.",
)


def add_information_action(*, to: str) -> Action:
    """The officer's addendum, on the police side; ``to`` is who on the partner side reads it ("the worker")."""
    return Action(
        "Send information",
        "given more information",
        lambda *, referral, actor, data: shared.referral_add_information(
            referral=referral, actor=actor, text=data["text"]
        ),
        done=f"Information sent to {to}.",
        side="police",
    )
