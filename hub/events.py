"""The Hub's event kinds and their labels. Messages name agencies, codes and references, never a person."""

from __future__ import annotations

PROPOSED = "proposed"
AGENDA_ADDED = "agenda_added"
REJECTED = "rejected"
ACCEPTED = "accepted"
NAMES_REVEALED = "names_revealed"
AGENCIES_CHOSEN = "agencies_chosen"
DOOR_KNOCK_PLANNED = "door_knock_planned"
DOOR_KNOCK_DONE = "door_knock_done"
DOOR_KNOCK_OVERDUE = "door_knock_overdue"
STATUS_UPDATE = "status_update"
CONCLUDED = "concluded"
OUTCOME_CHECK = "outcome_check"
CASEWORK_OPENED = "casework_opened"

LABELS = {
    PROPOSED: "Proposed (filter 1)",
    AGENDA_ADDED: "Put on a meeting's agenda",
    REJECTED: "Threshold not met (filter 2)",
    ACCEPTED: "Threshold met (filter 2)",
    NAMES_REVEALED: "Names shared (filter 3)",
    AGENCIES_CHOSEN: "Lead and assisting agencies chosen (filter 3)",
    DOOR_KNOCK_PLANNED: "Door knock planned (filter 4)",
    DOOR_KNOCK_DONE: "Door knock done (filter 4)",
    DOOR_KNOCK_OVERDUE: "Door knock overdue: coordinators told",
    STATUS_UPDATE: "Status update",
    CONCLUDED: "Concluded",
    OUTCOME_CHECK: "Outcome check recorded",
    CASEWORK_OPENED: "Casework referral opened by a chosen agency",
}


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())
