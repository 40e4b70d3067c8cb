"""Partner-side measures: repeat persons (casework: from the partner's own fingerprints, each person once a year;
co-response: the clinician's "already known to the team")
and the annual demographics of the people who accepted services (coded at engagement, suppressed with the rest,
published outside the partner only for a year that has ended)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import suppression
from dashboards.history import history_add
from dashboards.measures import DIMENSIONS, demographic_key
from dashboards.suppression import CITY, YTD
from dashboards.tables import TOTAL, dashboard_build, demographics_build
from programs.models import Program
from referrals.models import Referral
from referrals.workflows.casework.matching import fingerprint
from referrals.workflows.casework.models import AgeBand, CaseworkCase, CaseworkPerson
from tests.referrals.factories import file_casework

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def youthconnect(personas):
    return Program.objects.get(slug="youthconnect")


@pytest.fixture
def last_year(youthconnect):
    """600 ended referrals over last year, all YouthConnect: enough people for published demographics."""
    history_add(600, seed=5, year=LAST_YEAR, programs=[youthconnect])
    return LAST_YEAR


def _filed_at(referral_ids: list[int], when: datetime) -> None:
    Referral.objects.filter(pk__in=referral_ids).update(created_at=when)


def test_repeat_persons_counts_each_person_once_a_year_in_the_month_of_the_first_repeat(youthconnect):
    year, before = LAST_YEAR, LAST_YEAR - 1  # whole years, whatever today's date
    history_add(8, seed=3, year=before, programs=[youthconnect])
    history_add(8, seed=4, year=year, programs=[youthconnect])
    CaseworkPerson.objects.update(fingerprint="")
    tz = timezone.get_current_timezone()
    old = list(Referral.objects.filter(created_at__year=before).order_by("pk").values_list("pk", flat=True))
    new = list(Referral.objects.filter(created_at__year=year).order_by("pk").values_list("pk", flat=True))
    org = youthconnect.organisation_id
    person = {name: fingerprint(organisation_id=org, name=name, date_of_birth=date(2010, 5, 1)) for name in "ABC"}
    plan = [
        # A: first in January, again in February and March: one repeat person, in February.
        (new[0], "A", datetime(year, 1, 10, 12, tzinfo=tz)),
        (new[1], "A", datetime(year, 2, 10, 12, tzinfo=tz)),
        (new[2], "A", datetime(year, 3, 10, 12, tzinfo=tz)),
        # B: once only.
        (new[3], "B", datetime(year, 2, 12, 12, tzinfo=tz)),
        # C: the year before, then again in March: a repeat this year, in March.
        (old[0], "C", datetime(before, 6, 1, 12, tzinfo=tz)),
        (new[4], "C", datetime(year, 3, 20, 12, tzinfo=tz)),
    ]
    for pk, name, when in plan:
        _filed_at([pk], when)
        CaseworkPerson.objects.filter(referral_id=pk).update(fingerprint=person[name])
    district_of = dict(Referral.objects.filter(pk__in=new).values_list("pk", "district__code"))

    dashboard = dashboard_build(program=youthconnect, year=year, suppressed_view=False)
    cells = {key: v for key, v in dashboard.values.items() if key[2] == "repeat_persons" and v and key[1] != CITY}
    expected = Counter({(f"{year}-02", district_of[new[1]]): 1})
    expected[(f"{year}-03", district_of[new[4]])] += 1
    expected = {(*key, "repeat_persons"): n for key, n in expected.items()}
    expected |= {(YTD, d, m): n for (_, d, m), n in list(expected.items())}
    if district_of[new[1]] == district_of[new[4]]:
        expected[(YTD, district_of[new[1]], "repeat_persons")] = 2
    assert cells == expected
    assert dashboard.values[(YTD, CITY, "repeat_persons")] == 2
    # The year before: C's first referral is no repeat.
    earlier = dashboard_build(program=youthconnect, year=before, suppressed_view=False)
    assert earlier.values[(YTD, CITY, "repeat_persons")] == 0


def _direct_demographics(program: Program, year: int) -> Counter:
    counts: Counter = Counter()
    for case in CaseworkCase.objects.filter(referral__program=program).select_related("referral"):
        if timezone.localtime(case.referral.created_at).year != year or not (case.engaged_at and case.tier):
            continue
        counts["total"] += 1
        counts[("age_band", case.age_band or "unknown")] += 1
        counts[("gender", case.gender or "not_recorded")] += 1
        counts[("race_ethnicity", case.race_ethnicity or "not_recorded")] += 1
    return counts


def test_the_partner_sees_demographics_equal_to_a_direct_count_adding_up_to_accepted_services(last_year, youthconnect):
    dashboard = dashboard_build(program=youthconnect, year=last_year, suppressed_view=False)
    demographics = demographics_build(dashboard)
    expected = _direct_demographics(youthconnect, last_year)
    assert expected["total"] > 100
    assert demographics.published and demographics.total.value == expected["total"]
    assert dashboard.values[(YTD, CITY, "engaged")] == expected["total"]
    for dimension in demographics.dimensions:
        figures = {row["key"]: row["figure"].value for row in dimension["rows"]}
        assert sum(figures.values()) == expected["total"]
        for key, value in figures.items():
            column, code = next(
                (c, k) for c, _, choices in DIMENSIONS for k, _ in choices if demographic_key(c, k) == key
            )
            assert value == expected[(column, code)], key


def test_outside_the_partner_a_running_year_is_withheld_and_an_ended_one_suppressed(last_year, youthconnect):
    running = dashboard_build(program=youthconnect, year=timezone.localdate().year)
    assert demographics_build(running).published is False

    dashboard = dashboard_build(program=youthconnect, year=last_year)
    demographics = demographics_build(dashboard)
    assert demographics.published
    values = {TOTAL: _direct_demographics(youthconnect, last_year)["total"]}
    equations, hidden = [], set()
    if demographics.total.suppressed:
        hidden.add(TOTAL)
    for dimension, (column, _, choices) in zip(demographics.dimensions, DIMENSIONS, strict=True):
        keys = []
        for row, (code, _) in zip(dimension["rows"], choices, strict=True):
            key = (column, code)
            keys.append(key)
            values[key] = _direct_demographics(youthconnect, last_year)[key]
            if row["figure"].suppressed:
                hidden.add(key)
            else:
                assert not 0 < row["figure"].value < dashboard.threshold  # primary
        equations.append(suppression.Equation(TOTAL, tuple(keys)))
    assert hidden, "600 referrals over 8 race categories leave some small counts"
    # The total is hidden exactly when the dashboard hides its year-to-date "Accepted services".
    assert (TOTAL in hidden) == ((YTD, CITY, "engaged") in dashboard.hidden)
    # Nothing hidden can be solved from what is published.
    assert suppression.determined_cells(equations, hidden) == set()
    # No line's hidden cells add up to less than the threshold where its total is published.
    if TOTAL not in hidden:
        for equation in equations:
            parts = [key for key in equation.parts if key in hidden]
            assert not parts or sum(values[key] for key in parts) >= dashboard.threshold


def _page_cells(html: str) -> dict[str, str]:
    section = re.search(r'<section class="demographics".*?</section>', html, re.S).group(0)
    return {
        key: ("*" if "suppressed" in cell else cell.strip())
        for key, cell in re.findall(r'<tr data-measure="([^"]+)"><th scope="row">[^<]*</th>(<td.*?</td>)', section)
    }


def test_the_page_and_the_csv_show_the_same_demographics(client, login, last_year):
    login("analyst")
    query = {"program": "youthconnect", "year": last_year, "district": ""}
    page = client.get("/dashboards/", query).content.decode()
    cells = {key: re.sub(r"<[^>]+>", "", value) if value != "*" else "*" for key, value in _page_cells(page).items()}
    assert len(cells) == sum(len(choices) for _, _, choices in DIMENSIONS)
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboards/open-data.csv", query).content.decode())))
    from_csv = {
        row["measure"]: "*" if row["suppressed"] == "true" else row["value"]
        for row in rows
        if row["measure"].startswith("engaged_") and row["measure"].count("_") >= 2 and "tier" not in row["measure"]
    }
    assert from_csv == cells
    assert all(row["unit"] == "person" and row["month"] == YTD for row in rows if row["measure"] in cells)
    # A district's file has none: the demographics are citywide.
    district = client.get("/dashboards/open-data.csv", {**query, "district": "B2"}).content.decode()
    assert "engaged_gender_" not in district


def test_a_running_years_page_says_when_the_demographics_come(client, login, youthconnect):
    history_add(50, seed=8, programs=[youthconnect])
    login("analyst")
    page = client.get("/dashboards/", {"program": "youthconnect"}).content.decode()
    assert "data-demographics-pending" in page and 'data-dimension="gender"' not in page
    csv_text = client.get("/dashboards/open-data.csv", {"program": "youthconnect", "district": ""}).content.decode()
    assert "engaged_gender_" not in csv_text


def _engage_url(referral) -> str:
    return reverse("referrals:case_action", args=[referral.public_id, "engage"])


def _ready_to_engage(personas):
    from referrals.workflows.casework import services as casework

    worker = personas["youth.e13"]
    born = timezone.localdate() - timedelta(days=int(16.5 * 365))
    referral = file_casework(personas["officer.d4"], "E13", date_of_birth=born)
    referral = casework.referral_assign(referral=referral, actor=worker)
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="reached")
    return referral, worker


def test_engaging_records_the_coded_demographics_and_the_age_band_from_the_date_of_birth(personas, client):
    referral, worker = _ready_to_engage(personas)
    client.force_login(worker)
    response = client.post(_engage_url(referral), {"tier": "1", "gender": "female", "race_ethnicity": "hispanic"})
    assert response.status_code == 302
    case = CaseworkCase.objects.get(referral=referral)
    assert (case.state, case.tier) == ("engaged", "1")
    assert (case.age_band, case.gender, case.race_ethnicity) == (AgeBand.AGE_14_17, "female", "hispanic")


def test_engaging_without_the_demographics_records_them_as_not_recorded(personas, client):
    referral, worker = _ready_to_engage(personas)
    client.force_login(worker)
    client.post(_engage_url(referral), {"tier": "3"})
    case = CaseworkCase.objects.get(referral=referral)
    assert (case.state, case.gender, case.race_ethnicity) == ("engaged", "not_recorded", "not_recorded")


def test_an_unknown_demographic_code_is_refused_and_changes_nothing(personas, client):
    referral, worker = _ready_to_engage(personas)
    client.force_login(worker)
    response = client.post(_engage_url(referral), {"tier": "1", "gender": "<script>", "race_ethnicity": "x" * 500})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    case = CaseworkCase.objects.get(referral=referral)
    assert (case.state, case.gender, case.tier) == ("contact_attempted", "", "")


def test_the_case_page_offers_the_demographic_fields_to_the_worker_and_the_police_page_never_shows_them(
    personas, client
):
    referral, worker = _ready_to_engage(personas)
    client.force_login(worker)
    page = client.get(f"/queue/{referral.public_id}/").content.decode()
    assert "Race or ethnicity, as they describe it" in page
    client.post(_engage_url(referral), {"tier": "1", "gender": "another", "race_ethnicity": "pacific"})
    client.force_login(personas["officer.d4"])
    police = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert referral.public_id in police
    for shown in ("Non-binary or another gender", "Native Hawaiian", "14 to 17", "Tier 1"):
        assert shown not in police, shown


# --- co-response: "already known to the team", recorded with the disposition -------------------------------------


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("no", False), ("", None)])
def test_the_clinician_says_whether_the_team_knew_the_person_with_the_disposition(personas, client, answer, stored):
    from referrals.workflows.co_response.models import ClinicalRecord
    from tests.referrals.factories import advance, file_referral

    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    client.force_login(personas["clinician.b2"])
    url = reverse("referrals:case_action", args=[referral.public_id, "disposition"])
    response = client.post(url, {"disposition": "stabilised", "known_before": answer})
    assert response.status_code == 302
    record = ClinicalRecord.objects.get(referral=referral)
    assert (record.disposition, record.known_before) == ("stabilised", stored)
    counted = dashboard_build(program=referral.program, year=timezone.localdate().year, suppressed_view=False)
    assert counted.values[(YTD, CITY, "repeat_persons")] == (1 if stored else 0)
    # The officer's page says nothing of it.
    client.force_login(personas["officer.b2"])
    police = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert "known to the team" not in police and "data-known-before" not in police


def test_a_made_up_known_before_answer_is_refused_and_records_nothing(personas, client):
    from referrals.workflows.co_response.models import ClinicalRecord
    from tests.referrals.factories import advance, file_referral

    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "on_scene")
    client.force_login(personas["clinician.b2"])
    url = reverse("referrals:case_action", args=[referral.public_id, "disposition"])
    response = client.post(url, {"disposition": "stabilised", "known_before": "maybe"})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    record = ClinicalRecord.objects.get(referral=referral)
    assert (record.disposition, record.known_before, record.disposition_at) == ("", None, None)
