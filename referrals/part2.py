"""42 CFR Part 2: substance-use treatment records, who reads them, and their consented disclosures.

A record marked Part 2 (``ClinicalNote.part2``) is read only by the treating program's staff on the case: the
referral's assignee, and a supervisor of the program's organisation who also holds ``referrals.view_part2`` (the
role table gives it to clinical and worker supervisors). Nobody else sees it, or that it exists: not the other
members of the team holding the referral, not police, not a break-glass reader (break-glass adds no relation),
not the partner of a re-routed referral (the onward referral carries no notes), not notifications, hints,
exports, the admin or logs (none of them ever carried note text).

A disclosure outside the program needs the person's Part 2 consent naming the recipient (``Part2Consent``); each
one carries the redisclosure notice of 42 CFR 2.32 and is a ``Disclosure`` row, the accounting of disclosures
(42 CFR 2.24), kept at least three years.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from referrals import events, policy
from referrals.errors import ReferralError, Refused
from referrals.models import ClinicalAccessLog, ClinicalNote, Disclosure, Part2Consent, Referral
from referrals.services import lock, record_event

PART2_PERMISSION = "referrals.view_part2"

# 42 CFR 2.32(a)(1), as amended by the final rule of February 2024 (89 FR 12472).
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by federal confidentiality rules (42 CFR part 2). "
    "These rules prohibit you from using or disclosing this record, or testimony that describes the information "
    "contained in this record, in any civil, criminal, administrative, or legislative proceedings by any Federal, "
    "State, or local authority, against the patient, unless authorized by the consent of the patient, except as "
    "provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, "
    "the Federal rules prohibit you from making any other use or disclosure of this record unless at least one of "
    "the following applies: (i) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise permitted by 42 CFR part 2. "
    "(ii) You are a covered entity or business associate and have received the record for treatment, payment, or "
    "health care operations, or (iii) You have received the record from a covered entity or business associate as "
    "permitted by 45 CFR part 164, subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to further use or redisclose "
    "the record (see 42 CFR 2.31)."
)
# 42 CFR 2.32(a)(2): the abbreviated notice, where the full one does not fit (a text message, a form field).
REDISCLOSURE_NOTICE_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def reads_part2(user, referral: Referral) -> bool:
    """Whether ``user`` may read this referral's Part 2 records: its assignee, or a supervisor of its program's
    organisation holding the Part 2 permission. A break-glass reader has neither relation."""
    found = policy.relations(user, referral)
    return "assignee" in found or ("supervisor" in found and user.has_perm(PART2_PERMISSION))


def notes_for(user, referral: Referral) -> list[ClinicalNote]:
    """The referral's notes this user may read: the Part 2 ones left out, unseen, for anyone not entitled.

    The entitlement is asked only when a Part 2 note is there (a supervisor's answer loads their permissions), so
    the case page of a referral without one costs no query more."""
    notes = list(referral.notes.select_related("author").order_by("created_at", "pk"))
    if any(note.part2 for note in notes) and not reads_part2(user, referral):
        notes = [note for note in notes if not note.part2]
    return notes


def part2_consent_in_force(consent: Part2Consent | None, *, referral: Referral) -> bool:
    return consent is not None and consent.referral_id == referral.pk and consent.in_force(timezone.localdate())


@transaction.atomic
def part2_consent_record(
    *,
    referral: Referral,
    actor,
    giver_name: str,
    recipient: str,
    purpose: str,
    information: str,
    given_at: datetime | None = None,
    expires_on=None,
) -> Part2Consent:
    """Record the person's written consent to disclose their Part 2 records to one named recipient."""
    referral = lock(referral)
    if not reads_part2(actor, referral):
        raise Refused("Only the staff treating this person can record consent to disclose these records.")
    values = {"giver_name": giver_name, "recipient": recipient, "purpose": purpose, "information": information}
    values = {name: value.strip() for name, value in values.items()}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ReferralError(f"A Part 2 consent names all of: {', '.join(missing)}.")
    consent = Part2Consent.objects.create(
        referral=referral,
        **values,
        given_at=given_at or timezone.now(),
        expires_on=expires_on,
        recorded_by=actor,
    )
    record_event(referral, events.PART2_CONSENT, actor=actor)
    return consent


@transaction.atomic
def part2_consent_revoke(*, consent: Part2Consent, actor) -> Part2Consent:
    """The person revokes a Part 2 consent: from now on nothing more is disclosed under it. The consent and the
    disclosures already made under it stay on record (the accounting keeps them)."""
    referral = lock(consent.referral)
    consent = Part2Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.referral_id != referral.pk or not reads_part2(actor, referral):
        raise Refused("Only the staff treating this person can record that they revoked a consent.")
    if consent.revoked_at is not None:
        raise ReferralError("This consent was already revoked.")
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by"])
    record_event(referral, events.PART2_CONSENT_REVOKED, actor=actor)
    return consent


def part2_consents(referral: Referral) -> list[Part2Consent]:
    """The referral's Part 2 consents, newest first, with whether each is in force today."""
    today = timezone.localdate()
    consents = list(referral.part2_consents.select_related("recorded_by", "revoked_by"))
    for consent in consents:
        consent.is_in_force = consent.in_force(today)
    return consents


@transaction.atomic
def part2_disclose(
    *, note: ClinicalNote, actor, recipient: str, consent: Part2Consent | None, ip_address: str | None = None
) -> Disclosure:
    """Disclose one Part 2 note to ``recipient`` under ``consent``: refused, and nothing written, unless the actor
    reads Part 2 on this case and the consent is in force, of this person, naming this recipient."""
    referral = lock(note.referral)
    note = ClinicalNote.objects.get(pk=note.pk)
    if not reads_part2(actor, referral):
        raise Refused("Only the staff treating this person can disclose these records.")
    if not note.part2:
        raise ReferralError("This note is not a Part 2 record.")
    recipient = recipient.strip()
    if not part2_consent_in_force(consent, referral=referral):
        raise ReferralError("No Part 2 consent of this person is in force for this disclosure.")
    if not recipient or recipient.casefold() != consent.recipient.strip().casefold():
        raise ReferralError(f"The consent names {consent.recipient} as the recipient, not {recipient or 'nobody'}.")
    disclosure = Disclosure.objects.create(
        referral=referral,
        note=note,
        consent=consent,
        recipient=consent.recipient,
        disclosed_by=actor,
        notice=REDISCLOSURE_NOTICE,
    )
    ClinicalAccessLog.objects.create(
        user=actor, referral=referral, view="part2_disclose", reason="part2 disclosure", ip_address=ip_address
    )
    return disclosure


def disclosure_packet(disclosure: Disclosure) -> str:
    """What goes to the recipient: the record, then the notice that must accompany it."""
    return f"{disclosure.note.text}\n\n{disclosure.notice}"


def accounting_of_disclosures(referral: Referral) -> QuerySet[Disclosure]:
    """Every disclosure of this person's Part 2 records: who received what, when, under which consent."""
    return referral.disclosures.select_related("disclosed_by", "consent", "note").order_by("-created_at", "-pk")


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.DISCLOSURE_RETENTION_DAYS)


def disclosures_purge(*, before: datetime) -> int:
    """Delete the accounting rows written before ``before``, which must lie beyond the retention period; rows
    younger than that are refused (on PostgreSQL the table's trigger refuses them too)."""
    if before > retention_cutoff():
        raise PermissionError(
            f"Disclosure rows are kept {settings.DISCLOSURE_RETENTION_DAYS} days; none younger may be deleted."
        )
    rows = Disclosure.objects.filter(created_at__lt=before)
    return rows._raw_delete(rows.db)
