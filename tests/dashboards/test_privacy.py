"""No dashboard page, partial, print view, chart payload or CSV carries a name, a date of birth, an address, a note
or any other free text: canaries planted in every such field never come out, for outsiders or the partner."""

from __future__ import annotations

import pytest
from django.utils import timezone

from referrals import services
from referrals.models import Referral
from referrals.workflows.casework import services as casework
from tests.referrals.factories import add_follow_up, advance, file_casework, file_referral

pytestmark = pytest.mark.django_db

CANARIES = {
    "name": "Zephyrine Canarywood",
    "circumstances": "CANARY-CIRCUMSTANCES shouting at the bus stop",
    "location": "CANARY-LOCATION 77 Quietude Lane",
    "address": "CANARY-ADDRESS 12 Hidden Way",
    "date_of_birth": "2011-03-14",
    "guardian": "Gwendolyn Canaryguard",
    "phone": "617-555-0142",
    "note": "CANARY-NOTE disclosed a plan",
    "cad": "CAD-CANARY-991",
}


@pytest.fixture
def planted(personas):
    from datetime import date

    officer = personas["officer.b2"]
    referral = file_referral(
        officer,
        "B2",
        subject_name=CANARIES["name"],
        circumstances=CANARIES["circumstances"],
        location_text=CANARIES["location"],
        cad_incident_number=CANARIES["cad"],
    )
    referral = advance(referral, personas["clinician.b2"], "disposed")
    services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=CANARIES["note"])
    add_follow_up(referral, personas["clinician.b2"])
    for year in (this_year := timezone.localdate().year, this_year - 1):
        youth = file_casework(
            personas["officer.d4"],
            "E13",
            subject_name=CANARIES["name"],
            address=CANARIES["address"],
            date_of_birth=date(2011, 3, 14),
            guardian_name=CANARIES["guardian"],
            phone=CANARIES["phone"],
        )
        # Engaged, with its coded demographics: the partner sees the running year's, everyone an ended year's.
        youth = casework.referral_assign(referral=youth, actor=personas["youth.e13"])
        casework.contact_attempt_add(referral=youth, actor=personas["youth.e13"], method="phone", outcome="reached")
        casework.referral_engage(
            referral=youth, actor=personas["youth.e13"], tier="1", gender="female", race_ethnicity="another"
        )
        if year != this_year:
            Referral.objects.filter(pk=youth.pk).update(created_at=timezone.now().replace(year=year, month=6, day=1))
    return referral


def pages(client):
    this_year = timezone.localdate().year
    queries = [
        {"program": program, "district": district, "year": this_year}
        for program in ("co-response", "youthconnect")
        for district in ("", "B2", "E13")
    ]
    queries.append({"program": "youthconnect", "district": "", "year": this_year - 1})  # demographics published
    for query in queries:
        yield client.get("/dashboards/", query)
        yield client.get("/dashboards/", query, headers={"HX-Request": "true"})
        yield client.get("/dashboards/print/", query)
        yield client.get("/dashboards/open-data.csv", query)
    for district in ("B2", "E13"):
        yield client.get("/dashboards/compstat/", {"district": district})


@pytest.mark.parametrize("username", ["analyst", "sergeant.b2", "clinician.supervisor", "youth.supervisor"])
def test_no_dashboard_output_carries_a_canary(client, login, planted, username):
    login(username)
    seen, demographics = 0, 0
    for response in pages(client):
        if response.status_code == 403:  # CompStat is for police and analysts
            continue
        assert response.status_code == 200
        body = response.content.decode()
        for field, canary in CANARIES.items():
            assert canary not in body, f"{field} leaked into {response.request['PATH_INFO']}"
        seen += 1
        demographics += 'data-dimension="gender"' in body
    assert demographics >= 2  # the ended year's page and print view at least carry the demographics, and were crawled
    assert seen >= 24  # 2 programs x 3 districts x (page, partial, print, CSV), and CompStat where allowed


def test_canaries_are_really_there_to_find(planted):
    """The canaries were written where a careless query would find them (this test fails if the planting breaks)."""
    from referrals.models import ClinicalNote, Subject
    from referrals.workflows.casework.models import CaseworkPerson

    assert Subject.objects.filter(name=CANARIES["name"]).count() == 3
    assert ClinicalNote.objects.filter(text=CANARIES["note"]).exists()
    assert CaseworkPerson.objects.filter(address=CANARIES["address"], guardian_name=CANARIES["guardian"]).exists()
    assert planted.location_text == CANARIES["location"]
