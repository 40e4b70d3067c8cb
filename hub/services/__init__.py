"""The Hub's writes. Each: lock the situation (or meeting), ask ``hub.policy``, run the transition, save with
``update_fields``, write the ``SituationEvent`` in the same transaction, and leave side effects (hints,
notifications) to ``transaction.on_commit(..., robust=True)``. Hints and notifications carry a public reference,
a table and plain words: never a name, a date of birth, an address or the description.

Every function is keyword-only with an explicit ``actor`` and refuses with ``referrals.errors``: ``Refused`` (not
yours to do) or ``ReferralError`` (not now, or bad input; the message is for the person who asked).

The writes live in one module per stage of the four-filter process; this package gathers their public functions so
callers write ``services.agenda_add(...)`` without knowing which stage's module holds it.
"""

from hub.services.agenda import agencies_choose, agenda_add, names_reveal, threshold_decide
from hub.services.deadlines import door_knock_escalate_if_due, door_knocks_escalate_due, due_situation_ids
from hub.services.handing_on import casework_referral_open
from hub.services.interventions import (
    door_knock_log,
    door_knock_plan,
    outcome_check_record,
    situation_conclude,
    status_update_add,
)
from hub.services.meetings import attendance_record, meeting_close, meeting_open, meeting_schedule
from hub.services.proposing import NewPerson, situation_propose
from hub.services.setup import table_agency_add, table_create
from referrals.errors import ReferralError, Refused

__all__ = [
    "NewPerson",
    "ReferralError",
    "Refused",
    "agencies_choose",
    "agenda_add",
    "attendance_record",
    "casework_referral_open",
    "door_knock_escalate_if_due",
    "door_knock_log",
    "door_knock_plan",
    "door_knocks_escalate_due",
    "due_situation_ids",
    "meeting_close",
    "meeting_open",
    "meeting_schedule",
    "names_reveal",
    "outcome_check_record",
    "situation_conclude",
    "situation_propose",
    "status_update_add",
    "table_agency_add",
    "table_create",
    "threshold_decide",
]
