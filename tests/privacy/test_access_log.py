"""The privacy officer's access log: reads, refused reads and break-glass openings, filtered in the URL, paginated at
a constant query count, exported as CSV safe for spreadsheets; never a note or a name."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hub.models import HubAccessLog
from referrals import break_glass, services
from referrals.models import ClinicalAccessLog
from tests.referrals.factories import advance, file_referral

OFFICER = "privacy.officer"
NOTE = "Disclosed heroin relapse to the clinician"
NAME = "Evangeline Castellanos"
LOG = reverse("privacy:access_log")
LOG_CSV = reverse("privacy:access_log_csv")


@pytest.fixture
def referral(personas):
    referral = advance(
        file_referral(personas["officer.b2"], "B2", subject_name=NAME), personas["clinician.b2"], "on_scene"
    )
    services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=NOTE)
    return referral


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- refused reads are logged; allowed police envelope reads are not -----------------------------------------------


def test_a_read_is_logged_with_the_address_it_came_from(client, login, referral):
    login("clinician.b2")
    client.get(reverse("referrals:case", args=[referral.public_id]), REMOTE_ADDR="10.1.2.3")
    row = ClinicalAccessLog.objects.get(user__username="clinician.b2")
    assert (row.outcome, row.ip_address, row.reason) == ("read", "10.1.2.3", "case page")


@pytest.mark.parametrize(
    ("username", "status", "reason"),
    [
        ("clinician.c11", 404, "not in the reader's scope"),  # another district's clinician
        ("youth.e13", 404, "not in the reader's scope"),  # another partner
        ("officer.b2", 403, "not partner staff"),  # the filer, asking for the partner side
        (OFFICER, 403, "not partner staff"),  # the privacy officer reads no clinical record
    ],
)
def test_a_refused_read_of_a_record_is_logged(client, login, referral, username, status, reason):
    login(username)
    response = client.get(reverse("referrals:case", args=[referral.public_id]), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == status
    row = ClinicalAccessLog.objects.get(user__username=username)
    assert (row.referral, row.outcome, row.reason, row.ip_address, row.view) == (
        referral,
        "refused",
        reason,
        "10.9.8.7",
        "referrals:case",
    )


def test_a_refused_case_action_is_logged_too(client, login, referral):
    login("clinician.c11")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "note"]), {"text": "x"})
    assert response.status_code == 404
    assert ClinicalAccessLog.objects.get(user__username="clinician.c11").outcome == "refused"


def test_no_row_for_a_reference_that_names_nothing_nor_for_an_allowed_police_read(client, login, referral):
    login("clinician.c11")
    assert client.get(reverse("referrals:case", args=["R-NOSUCH"])).status_code == 404
    login("officer.b2")
    assert client.get(reverse("referrals:police_detail", args=[referral.public_id])).status_code == 200
    assert client.get(reverse("referrals:mine")).status_code == 200
    assert ClinicalAccessLog.objects.count() == 0


# --- the page ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "clinician.supervisor", "officer.b2", "hub.coordinator", "analyst"])
def test_the_access_log_is_the_privacy_officers_only(client, login, username):
    login(username)
    for url in (LOG, LOG_CSV, reverse("privacy:disclosures"), reverse("privacy:disclosures_csv")):
        assert client.get(url).status_code == 403


def test_a_privacy_officer_membership_still_pending_opens_nothing(client, personas):
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation, Role
    from accounts.services import membership_create

    user = get_user_model().objects.create_user(username="new.privacy", password=None)
    hub = Organisation.objects.get(short_name="Boston Hub")
    membership_create(user=user, organisation=hub, role=Role.PRIVACY_OFFICER, granted_by=personas["admin"])
    client.force_login(user)
    assert client.get(LOG).status_code == 403


def test_home_sends_the_privacy_officer_to_the_access_log(client, login):
    login(OFFICER)
    assert client.get(reverse("home"))["Location"] == LOG


def test_the_log_shows_reads_refusals_hub_reads_and_break_glass_but_no_clinical_content(
    client, login, referral, personas
):
    from hub.selectors import identity_for
    from tests.hub import build_hub_seed

    login("clinician.b2")
    client.get(reverse("referrals:case", args=[referral.public_id]))
    login("clinician.c11")
    client.get(reverse("referrals:case", args=[referral.public_id]))
    opening = break_glass.break_glass_open(
        referral=referral, actor=personas["youth.supervisor"], reason="Threat tonight", ip_address="10.0.0.5"
    )
    seed = build_hub_seed(personas)
    situation = seed.propose("officer", agency=seed.agencies["police"])
    identity_for(
        personas["officer.b2"], situation, view="hub:situation", reason="situation page", ip_address="10.0.0.6"
    )
    assert HubAccessLog.objects.count() == 1

    login(OFFICER)
    response = client.get(LOG)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-log-row") == 4
    for text in (
        referral.public_id,
        situation.public_id,
        "clinician.b2",
        "clinician.c11",
        "Refused",
        "Break-glass",
        "Threat tonight",
        "10.0.0.5",
        "10.0.0.6",
        "officer.b2",
        "youth.supervisor",
    ):
        assert text in html, text
    assert NOTE not in html and NAME not in html
    assert opening.reason in html


def test_filters_narrow_the_rows_and_stay_in_the_url(client, login, referral, personas):
    other = file_referral(personas["officer.b2"], "B2")
    for username, target in (("clinician.b2", referral), ("clinician.b2", other), ("clinician.c11", referral)):
        login(username)
        client.get(reverse("referrals:case", args=[target.public_id]))
    login(OFFICER)

    def rows(**params) -> int:
        response = client.get(LOG, params)
        assert response.status_code == 200
        return response.content.decode().count("data-log-row")

    assert rows() == 3
    assert rows(user="clinician.b2") == 2
    assert rows(record=referral.public_id.lower()) == 2
    assert rows(person=other.public_id) == 1
    assert rows(outcome="refused") == 1
    assert rows(outcome="read", user="CLINICIAN.B2", record=other.public_id) == 1
    assert rows(outcome="break_glass") == 0
    today = timezone.localdate()
    assert rows(date_from=today.isoformat(), date_to=today.isoformat()) == 3
    assert rows(date_to=(today - timedelta(days=1)).isoformat()) == 0
    assert rows(date_from="0001-01-01", date_to="9999-12-31") == 3  # the ends of the calendar (a 500 once)
    # The export link carries the filters.
    html = client.get(LOG, {"user": "clinician.b2", "outcome": "read"}).content.decode()
    assert f"{LOG_CSV}?user=clinician.b2&amp;outcome=read" in html


def test_a_person_filter_follows_a_re_route(client, login, personas):
    from referrals.models import Referral

    first = file_referral(personas["officer.b2"], "B2")
    onward = file_referral(personas["officer.b2"], "B2")
    Referral.objects.filter(pk=onward.pk).update(rerouted_from=first)
    for target in (first, onward):
        services.clinical_record_read(user=personas["clinician.b2"], referral=target, view="tests", reason="test")
    login(OFFICER)
    assert client.get(LOG, {"person": first.public_id}).content.decode().count("data-log-row") == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "yesterday"}, "Enter a valid date."),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date is before the start date."),
        ({"outcome": "deleted"}, "Select a valid choice."),
        ({"record": "R" * 40}, "at most 16 characters"),
    ],
)
def test_bad_filters_get_a_clear_message_and_400(client, login, referral, params, message):
    login(OFFICER)
    for url in (LOG, LOG_CSV):
        response = client.get(url, params)
        assert response.status_code == 400
        assert message in response.content.decode()


def test_pages_cost_the_same_queries_whatever_the_size_of_the_log(client, login, referral, personas):
    user = personas["clinician.b2"]

    def add(n: int) -> None:
        ClinicalAccessLog.objects.bulk_create(
            [ClinicalAccessLog(user=user, referral=referral, view="tests", reason=f"r{i}") for i in range(n)]
        )

    login(OFFICER)

    def cost(params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LOG, params).status_code == 200
        return len(queries)

    add(60)
    small = (cost({}), cost({"page": 2, "user": "clinician.b2"}))
    add(400)
    large = (cost({}), cost({"page": 5, "user": "clinician.b2"}))
    assert small == large
    # The request's own seven (session, user, second-factor device, memberships with districts and units, the notices
    # count) and the page's two: one UNION ALL for the rows, one count.
    assert large[0] <= 9


def test_pagination_keeps_the_filters(client, login, referral, personas):
    ClinicalAccessLog.objects.bulk_create(
        [ClinicalAccessLog(user=personas["clinician.b2"], referral=referral, view="t", reason="r") for _ in range(55)]
    )
    login(OFFICER)
    html = client.get(LOG, {"user": "clinician.b2"}).content.decode()
    assert "?user=clinician.b2&amp;page=2" in html
    assert client.get(LOG, {"user": "clinician.b2", "page": 2}).content.decode().count("data-log-row") == 5


# --- the CSV ---------------------------------------------------------------------------------------------------------


def test_the_csv_exports_the_filtered_rows(client, login, referral, personas):
    services.clinical_record_read(
        user=personas["clinician.b2"], referral=referral, view="v", reason="kept", ip_address="10.1.1.1"
    )
    services.clinical_record_read(user=personas["clinician.c11"], referral=referral, view="v", reason="other")
    login(OFFICER)
    response = client.get(LOG_CSV, {"user": "clinician.b2"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header == ["when", "source", "who", "record", "view", "reason", "outcome", "ip_address"]
    assert [row[2:] for row in rows] == [["clinician.b2", referral.public_id, "v", "kept", "Read", "10.1.1.1"]]


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
def test_the_csv_escapes_cells_a_spreadsheet_would_evaluate(client, login, referral, personas, payload):
    from django.contrib.auth import get_user_model

    reader = get_user_model().objects.create_user(username="-" + "evil", password=None)
    services.clinical_record_read(user=reader, referral=referral, view=payload, reason=payload)
    login(OFFICER)
    [_header, row] = _csv_rows(client.get(LOG_CSV))
    assert row[2] == "'-evil"
    assert row[4] == row[5] == "'" + payload
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_the_accounting_needs_a_reference_and_says_so(client, login):
    login(OFFICER)
    assert client.get(reverse("privacy:disclosures")).status_code == 200  # the empty form
    response = client.get(reverse("privacy:disclosures"), {"person": "  "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.get(reverse("privacy:disclosures_csv"))
    assert response.status_code == 400
    assert "Give the person" in response.content.decode()
