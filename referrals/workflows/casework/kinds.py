"""The casework workflow's own event kinds, and whether police see them (``referrals.events``)."""

from __future__ import annotations

from referrals.events import EventKind

ASSIGNED = "assigned"
CONTACT_ATTEMPT = "contact_attempt"
ENGAGED = "engaged"
UNABLE_TO_REACH = "unable_to_reach"
INTERIM_UPDATE = "interim_update"
GOAL_ADDED = "goal_added"
GOAL_MET = "goal_met"
FIRST_CONTACT_OVERDUE = "first_contact_overdue"

EVENT_KINDS = {
    ASSIGNED: EventKind("Assigned to a worker", police_visible=False),
    CONTACT_ATTEMPT: EventKind("Contact attempted", police_visible=False),
    ENGAGED: EventKind("Engaged with services", police_visible=True),
    UNABLE_TO_REACH: EventKind("Unable to reach", police_visible=True),
    INTERIM_UPDATE: EventKind("Still engaged", police_visible=True),
    GOAL_ADDED: EventKind("Goal set", police_visible=False),
    GOAL_MET: EventKind("Goal met", police_visible=False),
    FIRST_CONTACT_OVERDUE: EventKind("First contact overdue: supervisors told", police_visible=False),
}
