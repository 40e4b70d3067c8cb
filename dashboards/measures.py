"""Every measure a dashboard or the open-data CSV publishes, with its written definition.

One table, read by the selectors (what to count), the page (labels), the CSV (measure keys) and the data
dictionary (``docs/data-dictionary.md`` repeats these definitions; ``tests/dashboards`` holds the two together).
A measure counts rows of the envelope (``Referral``), its events, or a coded column of a workflow's own state;
never a name, a date of birth, an address, a note or any free text.

``family`` names the measure whose count is the sum of this one's siblings (declined = the sum of its reasons):
the suppression engine is told, so a reason cannot be recovered from the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.models import ConclusionCode
from programs.models import Workflow
from referrals.workflows.casework.models import AgeBand, Gender, RaceEthnicity, ServiceTier
from referrals.workflows.co_response.models import DeclineReason, Disposition


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    counts: str  # what is counted
    event: str  # which record or event marks it
    date: str  # which date places it in a month
    unit: str  # call, referral, encounter, situation
    family: str = ""  # the parent measure this one sums into


FILED = "the date and time the referral was filed (Referral.created_at)"


def _co_response() -> list[Measure]:
    measures = [
        Measure("requests", "Requests", "Co-response requests filed by officers", "Referral filed", FILED, "call"),
        Measure(
            "accepted",
            "Accepted",
            "Requests a clinician accepted (once, whatever happened after)",
            "Referral.accepted_at set by the accept action",
            FILED,
            "call",
        ),
        Measure(
            "declined",
            "Declined",
            "Requests the clinical partner declined; the sum of the decline reasons below",
            "Co-response state 'declined'",
            FILED,
            "call",
        ),
    ]
    for reason, label in DeclineReason.choices:
        measures.append(
            Measure(
                f"declined_{reason}",
                f"Declined: {label}",
                f"Requests declined with the reason '{label}'",
                "Co-response state 'declined' and its decline reason",
                FILED,
                "call",
                family="declined",
            )
        )
    measures.append(
        Measure(
            "escalated",
            "Escalated",
            "Requests not accepted in time that escalated at least once (counted once per request)",
            "A referral event of kind 'escalated'",
            FILED,
            "call",
        )
    )
    for code, label in Disposition.choices:
        measures.append(
            Measure(
                f"disposition_{code}",
                f"Disposition: {label}",
                f"Calls whose recorded disposition is '{label}'",
                "The disposition code on the partner's record (the code only)",
                FILED,
                "call",
            )
        )
    measures.append(
        Measure(
            "repeat_persons",
            "Repeat persons",
            "Calls whose person the clinical team already knew (the clinician says so with the disposition, from "
            "the team's own records; no name or identifier leaves the partner). Each call counts: a person seen "
            "twice in a year as a known person counts twice",
            "The 'already known to the team' answer recorded with the disposition",
            FILED,
            "call",
        )
    )
    measures.append(
        Measure(
            "follow_ups_done",
            "Follow-ups done",
            "Follow-up contacts (home visits, calls, office visits) marked done",
            "A follow-up's done time",
            "the date the follow-up was marked done (FollowUp.done_at)",
            "encounter",
        )
    )
    return measures


def _casework(reasons: list[tuple[str, str]]) -> list[Measure]:
    measures = [
        Measure("referrals", "Referrals", "Referrals filed by officers", "Referral filed", FILED, "referral"),
    ]
    for code, label in reasons:
        measures.append(
            Measure(
                f"reason_{code}",
                f"Reason: {label}",
                f"Referrals giving the reason '{label}' (a referral may give several, so reasons do not add up)",
                "The reason codes on the referral as filed",
                FILED,
                "referral",
            )
        )
    measures += [
        Measure(
            "assigned",
            "Taken by a worker",
            "Referrals a worker took from the queue",
            "Referral.accepted_at set by the assign action",
            FILED,
            "referral",
        ),
        Measure(
            "engaged",
            "Accepted services",
            "Referrals whose young person (or adult) engaged with services; the sum of the tiers below",
            "Casework engaged time and service tier",
            FILED,
            "referral",
        ),
    ]
    for tier, label in ServiceTier.choices:
        measures.append(
            Measure(
                f"engaged_tier_{tier}",
                f"Accepted services: {label}",
                f"Referrals engaged at {label}",
                "Casework engaged time and service tier",
                FILED,
                "referral",
                family="engaged",
            )
        )
    measures.append(
        Measure(
            "declined",
            "Declined services",
            "Referrals where the person or their guardian declined services",
            "Casework 'declined by' recorded",
            FILED,
            "referral",
        )
    )
    measures.append(
        Measure(
            "repeat_persons",
            "Repeat persons",
            "People referred again: the partner had a referral of the same person before (matched by the partner "
            "on its own keyed fingerprint of name and date of birth, never shown); each person counted once a year",
            "A referral whose person matches an earlier referral to the same partner organisation",
            "the filing date of the person's first such referral in the year",
            "person",
        )
    )
    return measures


def _situation(conclusions: list[tuple[str, str, str]]) -> list[Measure]:
    decided = "the time the table decided on filter 2 (Situation.decided_at)"
    measures = [
        Measure(
            "discussed",
            "Situations discussed",
            "Situations the table decided on at filter 2; the sum of the two below",
            "A filter-2 decision",
            decided,
            "situation",
        ),
        Measure(
            "threshold_met",
            "Threshold met",
            "Situations found to be of acutely elevated risk",
            "A filter-2 decision: threshold met",
            decided,
            "situation",
            family="discussed",
        ),
        Measure(
            "rejected",
            "Threshold not met",
            "Situations found not to be of acutely elevated risk (nothing more shared)",
            "A filter-2 decision: rejected",
            decided,
            "situation",
            family="discussed",
        ),
    ]
    for group, code, label in conclusions:
        measures.append(
            Measure(
                f"conclusion_{group}_{code}",
                f"Concluded: {label}",
                f"Situations concluded with the code '{label}'",
                "The conclusion code recorded on concluding",
                "the time the situation was concluded (Situation.concluded_at)",
                "situation",
            )
        )
    return measures


# Casework programs' annual demographics of the people who accepted services: (column, heading, its codes).
DIMENSIONS = [
    ("age_band", "Age at engagement", AgeBand.choices),
    ("gender", "Gender", Gender.choices),
    ("race_ethnicity", "Race or ethnicity", RaceEthnicity.choices),
]


def demographic_key(column: str, code: str) -> str:
    return f"engaged_{column}_{code}"


def demographic_measures() -> list[Measure]:
    """The annual demographics' measures (casework), one per dimension and code: each dimension sums to the year's
    "Accepted services". Published citywide for a whole year (month "YTD" in the CSV), once the year has ended."""
    out = []
    for column, heading, choices in DIMENSIONS:
        for code, label in choices:
            out.append(
                Measure(
                    demographic_key(column, code),
                    f"Accepted services, {heading.lower()}: {label}",
                    f"People who accepted services in the year whose {heading.lower()} is '{label}' (recorded by the "
                    "worker at engagement, as the person describes themselves; age from the date of birth then)",
                    "Casework engaged time and service tier, and the coded demographics recorded with them",
                    FILED,
                    "person",
                )
            )
    return out


def measures_for(workflow: str, *, reasons: list[tuple[str, str]] | None = None) -> list[Measure]:
    """The measures of a program of ``workflow``; casework's reasons are the program's own (``ProgramReason``)."""
    if workflow == Workflow.CO_RESPONSE:
        return _co_response()
    if workflow == Workflow.CASEWORK:
        return _casework(reasons or [])
    if workflow == Workflow.SITUATION:
        groups = dict(ConclusionCode.Group.choices)
        conclusions = [
            (group, code, f"{groups.get(group, group)}: {label}")
            for group, code, label in ConclusionCode.objects.order_by("group", "position", "pk").values_list(
                "group", "code", "label"
            )
        ]
        return _situation(conclusions)
    return []


def families(measures: list[Measure]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for measure in measures:
        if measure.family:
            out.setdefault(measure.family, []).append(measure.key)
    return out


# Time to acceptance is a statistic, not a count: it is shown only where the cell's "accepted" (or "assigned")
# count is itself published and at least the threshold, so it never describes fewer people than a count may.
TIME_TO_ACCEPT = {
    Workflow.CO_RESPONSE: "accepted",
    Workflow.CASEWORK: "assigned",
}
