"""The RTD-style export: one row per discussion; a rejected one says N/A beyond date, table and sector."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from hub import export, services
from hub.models import ConclusionCode, Service, Situation
from referrals.errors import Refused
from tests.hub import ADDRESS, DOB, NAME


def test_rows_for_accepted_concluded_and_rejected_discussions(hub_seed):
    seed = hub_seed
    meeting = seed.meeting()
    seed.propose()  # proposed, never discussed: no row
    accepted = seed.to_state(seed.propose(), "accepted", meeting=meeting)
    concluded = seed.to_state(
        seed.propose("housing"), "intervention", meeting=meeting, lead="housing", assisting=("police", "school")
    )
    services.status_update_add(
        situation=concluded,
        actor=seed.coordinator,
        text="Engaged.",
        services=[Service.objects.get(code="housing-services")],
    )
    concluded = seed.to_state

    concluded = services.situation_conclude(
        situation=Situation.objects.get(originating=seed.agencies["housing"]),
        actor=seed.coordinator,
        code=ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services"),
    )
    rejected = seed.to_state(seed.propose(), "rejected", meeting=meeting)

    rows = export.rtd_rows(user=seed.coordinator, table=seed.table)

    today = timezone.localdate().isoformat()
    assert len(rows) == 3
    assert rows[0] == {
        "date": today,
        "table": "B2 situation table",
        "discussion_type": "Person",
        "originating_sector": "Police",
        "affected_persons": "16-17 x Male: 1",
        "risk_factors": "Drugs: Drug-related overdose; Missing School: Truancy",
        "protective_factors": "",
        "study_flags": "",
        "lead_sector": "",
        "assisting_sectors": "",
        "services_mobilised": "",
        "conclusion": "",
    }
    done = next(r for r in rows if r["conclusion"])
    assert done["originating_sector"] == "Housing"
    assert (done["lead_sector"], done["assisting_sectors"]) == ("Housing", "Education; Police")
    assert done["services_mobilised"] == "Housing services"
    assert done["conclusion"] == "Overall risk lowered: Connected to services"
    assert rows[2] == {
        "date": today,
        "table": "B2 situation table",
        "originating_sector": "Police",
        **dict.fromkeys(
            (
                "discussion_type",
                "affected_persons",
                "risk_factors",
                "protective_factors",
                "study_flags",
                "lead_sector",
                "assisting_sectors",
                "services_mobilised",
                "conclusion",
            ),
            "N/A",
        ),
    }
    assert [accepted.pk, concluded.pk, rejected.pk] == sorted([accepted.pk, concluded.pk, rejected.pk])
    out = io.StringIO()
    export.write_csv(rows, out)
    text = out.getvalue()
    assert text.splitlines()[0].startswith("Date,Table,Discussion type,Originating sector")
    for identifying in (NAME, NAME.split()[1], DOB.isoformat(), ADDRESS, "Sample Rd"):
        assert identifying not in text


def test_only_coordinators_export(hub_seed):
    for who in ("housing", "officer", "outsider"):
        with pytest.raises(Refused):
            export.rtd_rows(user=hub_seed.users[who], table=hub_seed.table)


def test_the_export_query_count_does_not_grow(hub_seed, django_assert_num_queries):
    seed = hub_seed
    meeting = seed.meeting()
    seed.to_state(seed.propose(), "intervention", meeting=meeting)
    with django_assert_num_queries(7):
        assert len(export.rtd_rows(user=seed.coordinator, table=seed.table)) == 1
    for _ in range(3):
        seed.to_state(seed.propose(), "intervention", meeting=meeting)
    with django_assert_num_queries(7):
        assert len(export.rtd_rows(user=seed.coordinator, table=seed.table)) == 4
