"""The dashboard pages: who lands where, who sees what unsuppressed, filters in the URL, bad input, CompStat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboards.models import ActionPlan, PublishedCell
from districts.models import District

pytestmark = pytest.mark.django_db


def test_analyst_lands_on_the_dashboards(client, login):
    login("analyst")
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/dashboards/"
    assert response.context["district"] == "CITY"


def test_police_supervisor_lands_on_their_district_suppressed(client, login, history):
    login("sergeant.b2")
    response = client.get("/dashboards/")
    assert response.context["district"] == "B2"
    assert response.context["unsuppressed"] is False
    assert 'data-view="suppressed"' in response.content.decode()
    assert 'data-suppressed="true"' in response.content.decode()


def test_partner_sees_its_own_program_unsuppressed_and_others_suppressed(client, login, history):
    login("clinician.b2")
    own = client.get("/dashboards/", {"program": "co-response"})
    assert own.context["unsuppressed"] is True
    assert 'data-suppressed="true"' not in own.content.decode()
    other = client.get("/dashboards/", {"program": "youthconnect"})
    assert other.context["unsuppressed"] is False
    assert 'data-suppressed="true"' in other.content.decode()


def test_a_partner_lands_on_its_own_program(client, login):
    login("youth.supervisor")
    assert client.get("/dashboards/").context["program"].slug == "youthconnect"


def test_the_url_keeps_the_filters_and_htmx_gets_the_results_only(client, login, history):
    login("analyst")
    year = timezone.localdate().year
    response = client.get("/dashboards/", {"program": "youthconnect", "district": "E13", "year": year})
    body = response.content.decode()
    assert f"/dashboards/open-data.csv?program=youthconnect&amp;year={year}&amp;district=E13" in body
    assert '<option value="E13" selected>' in body
    partial = client.get(
        "/dashboards/", {"program": "youthconnect", "district": "E13"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.lstrip().startswith('<div id="results">') and "<html" not in partial
    assert response["Vary"] and "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query",
    [{"program": "no-such"}, {"district": "Z9"}, {"year": "1999"}, {"year": "abc"}, {"program": ["a", "b"]}],
)
def test_bad_filters_get_a_clear_message_never_a_500(client, login, query):
    login("analyst")
    response = client.get("/dashboards/", query)
    assert response.status_code == 400
    assert "correct the ones marked above" in response.content.decode()
    csv = client.get("/dashboards/open-data.csv", query)
    assert csv.status_code == 400 and csv.content.decode().startswith("Bad filter:")
    assert client.get("/dashboards/print/", query).status_code == 400


def test_a_year_without_referrals_shows_zeros_not_suppressed(client, login):
    login("analyst")
    response = client.get("/dashboards/", {"year": timezone.localdate().year - 20, "program": "co-response"})
    assert response.status_code == 200
    cells = [figure for row in response.context["table"]["rows"] for figure in row["cells"]]
    assert len(cells) > 100 and all(figure.value == 0 and not figure.suppressed for figure in cells)


def test_print_view_has_the_table_and_no_filters(client, login, history):
    login("analyst")
    body = client.get("/dashboards/print/", {"program": "co-response"}).content.decode()
    assert "<table" in body and "Year to date by district" in body and 'name="district"' not in body


# --- Community CompStat -------------------------------------------------------------------------------------------
def plan(district: str, days: int, status=ActionPlan.Status.OPEN, **fields) -> ActionPlan:
    from django.contrib.auth import get_user_model

    return ActionPlan.objects.create(
        district=District.objects.get(code=district),
        issue=fields.get("issue", f"Issue due in {days} days"),
        action="Walk the block with outreach",
        owner="B2 community service office",
        due_on=timezone.localdate() + timedelta(days=days),
        status=status,
        created_by=get_user_model().objects.get(username="sergeant.b2"),
    )


def test_compstat_shows_overdue_plans_first(client, login):
    later, overdue, done_overdue = plan("B2", 10), plan("B2", -3), plan("B2", -30, ActionPlan.Status.DONE)
    login("sergeant.b2")
    response = client.get("/dashboards/compstat/")
    assert [item["plan"] for item in response.context["plans"]] == [overdue, later, done_overdue]
    assert [item["overdue"] for item in response.context["plans"]] == [True, False, False]


def test_police_supervisor_adds_a_plan_for_their_district_and_bad_input_changes_nothing(client, login):
    login("sergeant.b2")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    fields = {"issue": "Repeat calls at the shelter", "action": "Weekly joint visit", "owner": "B2 CSO", "due_on": due}
    response = client.post("/dashboards/compstat/?district=B2", {**fields, "due_on": "3000-01-01"})
    assert response.status_code == 422 and not ActionPlan.objects.exists()
    response = client.post("/dashboards/compstat/?district=B2", fields)
    assert response.status_code == 302
    assert ActionPlan.objects.get().district.code == "B2"


def test_officers_and_other_districts_supervisors_cannot_keep_plans(client, login):
    d4 = plan("D4", 5)
    login("sergeant.b2")
    assert client.post(f"/dashboards/compstat/plans/{d4.pk}/status/", {"status": "done"}).status_code == 403
    assert client.post("/dashboards/compstat/?district=D4", {"issue": "x"}).status_code == 403
    login("officer.b2")
    b2 = plan("B2", 5)
    assert client.post(f"/dashboards/compstat/plans/{b2.pk}/status/", {"status": "done"}).status_code == 403
    login("clinician.b2")
    assert client.get("/dashboards/compstat/").status_code == 403
    d4.refresh_from_db()
    b2.refresh_from_db()
    assert d4.status == b2.status == ActionPlan.Status.OPEN


def test_supervisor_changes_a_plans_status_and_a_bad_status_changes_nothing(client, login):
    b2 = plan("B2", 5)
    login("sergeant.b2")
    client.post(f"/dashboards/compstat/plans/{b2.pk}/status/", {"status": "closed-forever"})
    b2.refresh_from_db()
    assert b2.status == ActionPlan.Status.OPEN
    client.post(f"/dashboards/compstat/plans/{b2.pk}/status/", {"status": "in_progress"})
    b2.refresh_from_db()
    assert b2.status == ActionPlan.Status.IN_PROGRESS


def test_release_command_freezes_an_ended_month_once(history, capsys):
    year = timezone.localdate().year
    if timezone.localdate().month == 1:
        pytest.skip("no ended month this year yet")
    call_command("dashboards_release", f"{year}-01", "--program", "co-response")
    cells = PublishedCell.objects.count()
    assert cells > 0
    call_command("dashboards_release", f"{year}-01", "--program", "co-response")
    assert "already released" in capsys.readouterr().out
    assert PublishedCell.objects.count() == cells
    this_month = timezone.localdate().strftime("%Y-%m")
    call_command("dashboards_release", this_month, "--program", "co-response")
    assert "has ended" in capsys.readouterr().out
