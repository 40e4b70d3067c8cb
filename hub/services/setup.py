"""Setting up tables and their agencies: the admin, the demo and tests use these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from accounts.models import Organisation
from districts.models import District
from hub.models import (
    Sector,
    Table,
    TableAgency,
)
from referrals.errors import ReferralError


def table_create(
    *,
    name: str,
    organisation: Organisation,
    district: District,
    cadence: str = "",
    reveal: str = Table.Reveal.PRESENT,
    door_knock_hours: int = 48,
    outcome_checks: bool = False,
) -> Table:
    """A table, or the one of that name brought to these settings (the demo runs it again)."""
    if reveal not in Table.Reveal.values:
        raise ReferralError("Choose when names are shared: with the agencies present, or only the agencies chosen.")
    if not 24 <= door_knock_hours <= 48:
        raise ReferralError("The door-knock window is 24 to 48 hours.")
    table, _ = Table.objects.update_or_create(
        name=name,
        defaults={
            "organisation": organisation,
            "district": district,
            "cadence": cadence,
            "reveal": reveal,
            "door_knock_hours": door_knock_hours,
            "outcome_checks": outcome_checks,
            "is_active": True,
        },
    )
    return table


def table_agency_add(
    *,
    table: Table,
    organisation: Organisation,
    sector: Sector,
    representatives: Iterable = (),
    sharing_agreement_on: date | None = None,
) -> TableAgency:
    """Seat an organisation at a table (or update its seat): sector, representatives, agreement date (None: none)."""
    with transaction.atomic():
        agency, _ = TableAgency.objects.update_or_create(
            table=table,
            organisation=organisation,
            defaults={"sector": sector, "sharing_agreement_on": sharing_agreement_on, "is_active": True},
        )
        agency.representatives.set(list(representatives))
    return agency
