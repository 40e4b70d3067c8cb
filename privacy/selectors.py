"""The privacy office's reads: one access log over the clinical, Hub and break-glass logs, and a person's accounting
of Part 2 disclosures. Rows carry references and who / when / from where / why, never a note or a name read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import CharField, F, Q, QuerySet, Value

from hub.models import HubAccessLog, Situation
from referrals.models import BreakGlass, ClinicalAccessLog, Disclosure, Referral


class Source:
    CLINICAL = "clinical"
    HUB = "hub"
    BREAK_GLASS = "break_glass"


class Outcome:
    READ = "read"
    REFUSED = "refused"
    BREAK_GLASS = "break_glass"

    CHOICES = [(READ, "Read"), (REFUSED, "Refused"), (BREAK_GLASS, "Break-glass opening")]


SOURCE_LABELS = {Source.CLINICAL: "Referral", Source.HUB: "Hub situation", Source.BREAK_GLASS: "Break-glass"}
OUTCOME_LABELS = dict(Outcome.CHOICES)
# The union's columns, in order: every part annotates exactly these, so the SELECTs line up.
# Named apart from the logs' own fields (annotations may not shadow them).
COLUMNS = ("at", "source", "who", "record", "page", "why", "result", "ip", "row_id")


@dataclass(frozen=True)
class LogFilter:
    person: str = ""  # a referral's reference: that referral, its re-routes, and Hub situations started from them
    record: str = ""  # one referral's or situation's reference
    username: str = ""
    date_from: date | None = None
    date_to: date | None = None
    outcome: str = ""


def person_referral_ids(reference: str) -> QuerySet:
    """The referrals about the person a reference names, without reading who they are: the referral and the
    referrals one re-route away from it (a re-route copies the person to the onward referral)."""
    reference = reference.strip().upper()
    return Referral.objects.filter(
        Q(public_id=reference) | Q(rerouted_from__public_id=reference) | Q(rerouted_to__public_id=reference)
    ).values("pk")


def _columns(*, at, source, username, reference, view, reason, outcome, ip) -> dict:
    return {
        "at": at,
        "source": Value(source, output_field=CharField()),
        "who": username,
        "record": reference,
        "page": view,
        "why": reason,
        "result": outcome,
        # The address as the logs store it (inet on PostgreSQL): a text cast there would add "/32".
        "ip": ip,
        "row_id": F("pk"),
    }


def _window(field: str, f: LogFilter) -> Q:
    """The local dates from and to, both included. Compared as dates in the database: the end of 31 December 9999
    in Boston is past the last instant Python can hold in UTC."""
    q = Q()
    if f.date_from:
        q &= Q(**{f"{field}__date__gte": f.date_from})
    if f.date_to:
        q &= Q(**{f"{field}__date__lte": f.date_to})
    return q


def access_log(f: LogFilter) -> QuerySet:
    """Every logged read, refused read and break-glass opening matching ``f``, newest first, as dicts of COLUMNS.

    One SQL statement (a UNION ALL of the three logs, filtered before the union), so a page of it costs the same
    whatever the size of the logs."""
    clinical = ClinicalAccessLog.objects.filter(_window("created_at", f))
    hub = HubAccessLog.objects.filter(_window("created_at", f))
    openings = BreakGlass.objects.filter(_window("opened_at", f))
    if f.username:
        clinical = clinical.filter(user__username__iexact=f.username.strip())
        hub = hub.filter(user__username__iexact=f.username.strip())
        openings = openings.filter(opened_by__username__iexact=f.username.strip())
    if f.record:
        record = f.record.strip().upper()
        clinical = clinical.filter(referral__public_id=record)
        hub = hub.filter(situation__public_id=record)
        openings = openings.filter(referral__public_id=record)
    if f.person:
        referral_ids = person_referral_ids(f.person)
        clinical = clinical.filter(referral_id__in=referral_ids)
        hub = hub.filter(situation__in=Situation.objects.filter(referral_id__in=referral_ids).values("pk"))
        openings = openings.filter(referral_id__in=referral_ids)
    if f.outcome == Outcome.READ:
        clinical, openings = clinical.filter(outcome=ClinicalAccessLog.Outcome.READ), openings.none()
    elif f.outcome == Outcome.REFUSED:
        clinical = clinical.filter(outcome=ClinicalAccessLog.Outcome.REFUSED)
        hub, openings = hub.none(), openings.none()
    elif f.outcome == Outcome.BREAK_GLASS:
        clinical, hub = clinical.none(), hub.none()
    parts = [
        clinical.annotate(
            **_columns(
                at=F("created_at"),
                source=Source.CLINICAL,
                username=F("user__username"),
                reference=F("referral__public_id"),
                view=F("view"),
                reason=F("reason"),
                outcome=F("outcome"),
                ip=F("ip_address"),
            )
        ),
        hub.annotate(
            **_columns(
                at=F("created_at"),
                source=Source.HUB,
                username=F("user__username"),
                reference=F("situation__public_id"),
                view=F("view"),
                reason=F("reason"),
                outcome=Value(Outcome.READ, output_field=CharField()),
                ip=F("ip_address"),
            )
        ),
        openings.annotate(
            **_columns(
                at=F("opened_at"),
                source=Source.BREAK_GLASS,
                username=F("opened_by__username"),
                reference=F("referral__public_id"),
                view=Value("referrals:break_glass", output_field=CharField()),
                reason=F("reason"),
                outcome=Value(Outcome.BREAK_GLASS, output_field=CharField()),
                ip=F("ip_address"),
            )
        ),
    ]
    parts = [part.order_by().values(*COLUMNS) for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by("-at", "-source", "-row_id")


def disclosures_of_person(reference: str) -> QuerySet[Disclosure]:
    """The accounting of disclosures of the person a referral's reference names: who received what, when, by whom,
    under which consent. The consent's signer and the note's text are left out: the privacy officer reads neither."""
    return (
        Disclosure.objects.filter(referral_id__in=person_referral_ids(reference))
        .select_related("referral", "disclosed_by", "consent")
        .defer("notice")
        .order_by("-created_at", "-pk")
    )
