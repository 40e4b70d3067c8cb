"""The one table of event kinds: each kind's label and whether police see it.

A police page shows only police-visible events, and a police socket is told of a change only when its event is
police-visible. Workflows add their own kinds with ``register``; a kind is registered once, with one answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    label: str
    police_visible: bool


# Kinds every workflow shares.
FILED = "filed"
ROUTED = "routed"
ACCEPTED = "accepted"
DECLINED = "declined"
CANCELLED = "cancelled"
ESCALATED = "escalated"
TRANSFERRED = "transferred"
REASSIGNED = "reassigned"
CLOSED = "closed"
INFO_ADDED = "info_added"
NOTE = "note"
CONSENT_RECORDED = "consent_recorded"
CONSENT_OVERRIDDEN = "consent_overridden"
CONSENT_REVOKED = "consent_revoked"
REROUTED = "rerouted"
BREAK_GLASS = "break_glass"
PART2_CONSENT = "part2_consent"
PART2_CONSENT_REVOKED = "part2_consent_revoked"

EVENT_KINDS: dict[str, EventKind] = {
    FILED: EventKind("Request filed", police_visible=True),
    ROUTED: EventKind("Routed", police_visible=False),
    ACCEPTED: EventKind("Accepted", police_visible=True),
    DECLINED: EventKind("Declined", police_visible=True),
    CANCELLED: EventKind("Cancelled by the officer", police_visible=True),
    ESCALATED: EventKind("Escalated", police_visible=True),
    TRANSFERRED: EventKind("Transferred", police_visible=True),
    REASSIGNED: EventKind("Reassigned", police_visible=True),
    CLOSED: EventKind("Closed", police_visible=True),
    INFO_ADDED: EventKind("Officer added information", police_visible=True),
    NOTE: EventKind("Clinical note added", police_visible=False),
    CONSENT_RECORDED: EventKind("Consent recorded", police_visible=False),
    CONSENT_OVERRIDDEN: EventKind("Consent overridden", police_visible=False),
    CONSENT_REVOKED: EventKind("Closed — declined", police_visible=True),
    REROUTED: EventKind("Re-routed", police_visible=True),
    BREAK_GLASS: EventKind("Opened by break-glass, outside the reader's scope", police_visible=False),
    PART2_CONSENT: EventKind("Consent to a disclosure recorded", police_visible=False),
    PART2_CONSENT_REVOKED: EventKind("Consent to a disclosure revoked", police_visible=False),
}


def register(kinds: dict[str, EventKind]) -> None:
    for kind, spec in kinds.items():
        if EVENT_KINDS.get(kind, spec) != spec:
            raise ValueError(f"Event kind {kind!r} is already registered differently")
        EVENT_KINDS[kind] = spec


def is_police_visible(kind: str) -> bool:
    return EVENT_KINDS[kind].police_visible


def event_label(kind: str) -> str:
    spec = EVENT_KINDS.get(kind)
    return spec.label if spec else kind.replace("_", " ").capitalize()


def police_visible_kinds() -> list[str]:
    return sorted(kind for kind, spec in EVENT_KINDS.items() if spec.police_visible)
