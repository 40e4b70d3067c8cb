"""The RTD-style export: one row per discussion (a situation the table decided on at filter 2).

Columns as the Risk-driven Tracking Database keeps them: date, table, discussion type, originating sector,
affected persons (age band x gender), risk factors, protective factors, study flags, lead and assisting sectors,
services mobilised, conclusion. A rejected discussion exports its date, table and originating sector only; every
other column is "N/A" (nothing more is shared about it, ever). No row carries a name, a date of birth or an
address: the export never reads ``AffectedIdentity``, nor the free-text description.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

from django.db.models import Prefetch, QuerySet

from hub import policy
from hub.models import AffectedPerson, Assignment, RiskFactor, Situation, Table
from hub.models import SituationState as S

COLUMNS = [
    ("date", "Date"),
    ("table", "Table"),
    ("discussion_type", "Discussion type"),
    ("originating_sector", "Originating sector"),
    ("affected_persons", "Affected persons"),
    ("risk_factors", "Risk factors"),
    ("protective_factors", "Protective factors"),
    ("study_flags", "Study flags"),
    ("lead_sector", "Lead sector"),
    ("assisting_sectors", "Assisting sectors"),
    ("services_mobilised", "Services mobilised"),
    ("conclusion", "Conclusion"),
]
NOT_APPLICABLE = "N/A"
DISCUSSED = (S.REJECTED, S.ACCEPTED, S.INTERVENTION, S.CONCLUDED)
SEPARATOR = "; "


def discussions(*, table: Table, start: date | None = None, end: date | None = None) -> QuerySet[Situation]:
    """A table's discussions (decided at filter 2), decision date from ``start`` to ``end`` inclusive, oldest first,
    with everything a row needs: seven queries however many rows."""
    rows = Situation.objects.filter(table=table, state__in=DISCUSSED, decided_meeting__isnull=False)
    if start is not None:
        rows = rows.filter(decided_meeting__held_on__gte=start)
    if end is not None:
        rows = rows.filter(decided_meeting__held_on__lte=end)
    return (
        rows.select_related("table", "originating__sector", "decided_meeting", "conclusion")
        .prefetch_related(
            Prefetch("persons", queryset=AffectedPerson.objects.select_related("age_band").order_by("position")),
            Prefetch("risk_factors", queryset=RiskFactor.objects.select_related("category")),
            "protective_factors",
            "study_flags",
            "services_mobilised",
            Prefetch("assignments", queryset=Assignment.objects.select_related("agency__sector")),
        )
        .order_by("decided_meeting__held_on", "pk")
    )


def _persons(situation: Situation) -> str:
    """ "18-24 x Male: 1; 12-15 x Female: 2", in the persons' order."""
    counts = Counter((p.age_band.label, p.get_gender_display()) for p in situation.persons.all())
    return SEPARATOR.join(f"{band} x {gender}: {n}" for (band, gender), n in counts.items())


def _labels(items) -> str:
    return SEPARATOR.join(sorted(str(item) for item in items))


def row_for(situation: Situation) -> dict[str, str]:
    """One discussion's row (the situation loaded by ``discussions``)."""
    row = dict.fromkeys((key for key, _ in COLUMNS), NOT_APPLICABLE)
    row["date"] = situation.decided_meeting.held_on.isoformat()
    row["table"] = situation.table.name
    row["originating_sector"] = situation.originating.sector.label
    if situation.state == S.REJECTED:
        return row
    assignments = list(situation.assignments.all())
    row.update(
        discussion_type=situation.get_discussion_type_display(),
        affected_persons=_persons(situation),
        risk_factors=_labels(situation.risk_factors.all()),
        protective_factors=_labels(situation.protective_factors.all()),
        study_flags=_labels(situation.study_flags.all()),
        lead_sector=_labels(a.agency.sector.label for a in assignments if a.role == Assignment.Role.LEAD),
        assisting_sectors=_labels({a.agency.sector.label for a in assignments if a.role == Assignment.Role.ASSISTING}),
        services_mobilised=_labels(situation.services_mobilised.all()),
        conclusion=str(situation.conclusion) if situation.conclusion_id else "",
    )
    return row


def rtd_rows(*, user, table: Table, start: date | None = None, end: date | None = None) -> list[dict[str, str]]:
    """A table's RTD rows, for its coordinators only (``Refused`` otherwise)."""
    policy.require_coordinator(user, table)
    return [row_for(situation) for situation in discussions(table=table, start=start, end=end)]


def write_csv(rows: list[dict[str, str]], out) -> None:
    """The rows as CSV (a header of the column titles), to a text file or an ``HttpResponse``."""
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _ in COLUMNS])
