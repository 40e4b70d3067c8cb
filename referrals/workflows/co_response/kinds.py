"""The co-response workflow's own event kinds, and whether police see them (``referrals.events``)."""

from __future__ import annotations

from referrals.events import EventKind

EN_ROUTE = "en_route"
ON_SCENE = "on_scene"
FOLLOW_UP = "follow_up"
DISPOSITION = "disposition"
FOLLOW_UP_ADDED = "follow_up_added"
FOLLOW_UP_DONE = "follow_up_done"

EVENT_KINDS = {
    EN_ROUTE: EventKind("En route", police_visible=True),
    ON_SCENE: EventKind("On scene", police_visible=True),
    FOLLOW_UP: EventKind("Follow-up started", police_visible=True),
    DISPOSITION: EventKind("Disposition recorded", police_visible=False),
    FOLLOW_UP_ADDED: EventKind("Follow-up scheduled", police_visible=False),
    FOLLOW_UP_DONE: EventKind("Follow-up done", police_visible=False),
}
