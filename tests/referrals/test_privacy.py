"""Officers and sergeants cannot reach a clinical or identifying field by any page, htmx partial, error page or
the admin; clinical reads are logged; the logs are append-only; the admin neither changes the logs nor shows the
partner side."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import (
    ClinicalAccessLog,
    ClinicalNote,
    PoliceStatus,
    Referral,
    ReferralEvent,
    Subject,
)
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import (
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    Disposition,
    FollowUp,
    Section12By,
    Section12Kind,
)
from referrals.workflows.co_response.spec import ACTIONS
from tests.referrals.factories import advance, file_referral

PARTNER_ACTIONS = sorted(name for name, action in ACTIONS.items() if action.side == "partner")
PARTNER_SIDE_MODELS = [Subject, ClinicalRecord, ClinicalNote, FollowUp, CoResponseCase]

NAME = "Zebulon Quixworth"
CIRCUMSTANCES = "Humming on the Fenwick overpass railing"
LANGUAGE = "Esperanto"
ADDENDUM = "Mother says he stopped the lithium in March"
NOTE = "Discussed the overdose plan; XQ-4471 safety contract"
HANDOVER = "Handover: Quixworth asked for a Tagalog speaker"
DISPOSITION_LABEL = Disposition.ED_SECTION_12.label
SECTION12_LABEL = Section12Kind.B.label
FOLLOW_UP_LABEL = FollowUp.Kind.HOME_VISIT.label

SECRETS = (NAME, CIRCUMSTANCES, LANGUAGE, ADDENDUM, NOTE, HANDOVER, DISPOSITION_LABEL, SECTION12_LABEL, FOLLOW_UP_LABEL)


@pytest.fixture
def case(personas):
    """A B2 request with a person, an officer's addendum, a Section 12 disposition, a note, a follow-up and a
    handover, now in follow-up with clinician.c11 holding it."""
    officer, clinician = personas["officer.b2"], personas["clinician.b2"]
    referral = file_referral(
        officer,
        "B2",
        location_text="Fenwick St",
        subject_name=NAME,
        subject_age=44,
        subject_language=LANGUAGE,
        circumstances=CIRCUMSTANCES,
    )
    services.referral_add_information(referral=referral, actor=officer, text=ADDENDUM)
    referral = advance(referral, clinician, "on_scene")
    co_response.clinical_disposition_record(
        referral=referral,
        actor=clinician,
        disposition=Disposition.ED_SECTION_12,
        section12_by=Section12By.PHYSICIAN,
        section12_kind=Section12Kind.B,
    )
    services.clinical_note_add(referral=referral, actor=clinician, text=NOTE, part2=True)
    co_response.follow_up_add(
        referral=referral, actor=clinician, kind=FollowUp.Kind.HOME_VISIT, due_at=timezone.now() + timedelta(days=2)
    )
    co_response.referral_reassign(
        referral=referral, actor=personas["clinician.supervisor"], clinician=personas["clinician.c11"], reason=HANDOVER
    )
    co_response.referral_finish(referral=referral, actor=personas["clinician.c11"])
    referral.refresh_from_db()
    assert CoResponseCase.objects.get(referral=referral).state == CoResponseState.FOLLOW_UP
    assert referral.police_status == PoliceStatus.CLOSED_CONNECTED
    return referral


def _leaks(response) -> list[str]:
    text = response.content.decode() + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [secret for secret in SECRETS if secret in text]


def _police_requests(referral: Referral) -> list[tuple[str, str, dict, dict]]:
    """(method, path, data, headers) for every police page, its partial, its error pages and every partner URL."""
    public_id = referral.public_id
    htmx = {"HX-Request": "true"}
    requests = []
    for path in (
        reverse("home"),
        reverse("accounts:role_home"),
        reverse("referrals:mine"),
        reverse("referrals:new"),
        reverse("referrals:police_detail", args=[public_id]),
        reverse("referrals:police_detail", args=["R-NOPE234"]),
        reverse("referrals:queue"),
        reverse("referrals:case", args=[public_id]),
    ):
        requests += [("GET", path, {}, {}), ("GET", path, {}, htmx)]
    requests += [
        ("POST", reverse("referrals:cancel", args=[public_id]), {}, {}),
        ("POST", reverse("referrals:add_information", args=[public_id]), {"text": ""}, {}),
        ("POST", reverse("referrals:add_information", args=[public_id]), {"text": "Still outside."}, {}),
        ("POST", reverse("referrals:new"), {"district": "999999", "urgency": "x", "subject_age": "500"}, {}),
    ]
    for action in PARTNER_ACTIONS:
        requests.append(("POST", reverse("referrals:case_action", args=[public_id, action]), {}, {}))
    return requests


def _admin_path(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


ADMIN_PATHS = (
    "/admin/",
    "/admin/referrals/referral/",
    "/admin/referrals/referralevent/",
    "/admin/referrals/clinicalaccesslog/",
    *(_admin_path(model) for model in PARTNER_SIDE_MODELS),
)


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_pages_partials_and_error_pages_never_show_a_clinical_or_identifying_field(
    client, login, case, username
):
    login(username)
    for method, path, data, headers in _police_requests(case):
        response = client.get(path, headers=headers) if method == "GET" else client.post(path, data, follow=True)
        assert _leaks(response) == [], (method, path, headers)


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_get_403_on_every_partner_url(client, login, case, username):
    login(username)
    partner_paths = [reverse("referrals:queue"), reverse("referrals:case", args=[case.public_id])]
    for path in partner_paths:
        assert client.get(path).status_code == 403, path
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 403, path
    for action in PARTNER_ACTIONS:
        response = client.post(reverse("referrals:case_action", args=[case.public_id, action]))
        assert response.status_code == 403, action


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_are_sent_to_admin_login_from_every_admin_page(client, login, case, username):
    login(username)
    paths = [*ADMIN_PATHS, f"/admin/referrals/referral/{case.pk}/change/"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path
        assert _leaks(client.get(path, follow=True)) == [], path


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_status_page_shows_the_status_but_not_the_disposition(client, login, case, username):
    login(username)
    response = client.get(reverse("referrals:police_detail", args=[case.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Closed — connected to services" in html
    assert "Disposition recorded" not in html
    assert "Clinical note added" not in html
    assert "Follow-up scheduled" not in html


def test_partner_case_page_shows_what_police_never_see(client, login, case):
    # The control for the tests above: the strings they look for are really on the partner's page.
    login("clinician.c11")
    response = client.get(reverse("referrals:case", args=[case.public_id]))
    assert response.status_code == 200
    assert _leaks(response) == list(SECRETS)


def test_superuser_admin_pages_show_no_clinical_or_identifying_field(client, login, case):
    login("admin")
    paths = [
        "/admin/",
        "/admin/referrals/referral/",
        f"/admin/referrals/referral/{case.pk}/change/",
        "/admin/referrals/referralevent/",
        "/admin/referrals/clinicalaccesslog/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _leaks(response) == [], path


# --- the access log -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "partial"])
@pytest.mark.parametrize("username", ["clinician.b2", "clinician.supervisor"])
def test_each_case_read_by_a_partner_writes_one_access_log_row(client, personas, login, username, htmx):
    referral = file_referral(personas["officer.b2"], "B2")
    user = login(username)
    headers = {"HX-Request": "true"} if htmx else {}
    for reads in (1, 2):
        response = client.get(reverse("referrals:case", args=[referral.public_id]), headers=headers)
        assert response.status_code == 200
        assert ClinicalAccessLog.objects.count() == reads
    rows = list(ClinicalAccessLog.objects.values_list("user", "referral", "view"))
    assert rows == [(user.pk, referral.pk, "referrals:case")] * 2


def test_case_404_writes_no_read_row_only_the_refusal(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    user = login("clinician.c11")
    assert client.get(reverse("referrals:case", args=[referral.public_id])).status_code == 404
    assert not ClinicalAccessLog.objects.filter(outcome="read").exists()
    assert list(ClinicalAccessLog.objects.values_list("user", "referral", "outcome")) == [
        (user.pk, referral.pk, "refused")
    ]


def test_police_status_page_writes_no_access_log_row(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("officer.b2")
    assert client.get(reverse("referrals:police_detail", args=[referral.public_id])).status_code == 200
    assert ClinicalAccessLog.objects.count() == 0


def test_refused_case_action_logs_the_read_of_the_page_it_returns(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    user = login("clinician.supervisor")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "accept"]))
    assert response.status_code == 409
    assert list(ClinicalAccessLog.objects.values_list("user", "referral", "view", "reason")) == [
        (user.pk, referral.pk, "referrals:case", "accept")
    ]


# --- append-only logs -----------------------------------------------------------------------------------------


@pytest.fixture
def log_rows(personas):
    referral = file_referral(personas["officer.b2"], "B2")
    services.clinical_record_read(user=personas["clinician.b2"], referral=referral, view="test", reason="test")
    return {ReferralEvent: ReferralEvent.objects.first(), ClinicalAccessLog: ClinicalAccessLog.objects.first()}


APPEND_ONLY_OPERATIONS = {
    "save an existing row": lambda row: row.save(),
    "delete a row": lambda row: row.delete(),
    "update a queryset": lambda row: type(row).objects.filter(pk=row.pk).update(created_at=timezone.now()),
    "delete a queryset": lambda row: type(row).objects.filter(pk=row.pk).delete(),
    "update the manager's rows": lambda row: type(row).objects.update(created_at=timezone.now()),
}


@pytest.mark.parametrize("operation", sorted(APPEND_ONLY_OPERATIONS))
@pytest.mark.parametrize("model", [ReferralEvent, ClinicalAccessLog], ids=lambda m: m.__name__)
def test_append_only_log_refuses_to_change_or_delete_rows(log_rows, model, operation):
    row = log_rows[model]
    before = list(model.objects.order_by("pk").values())
    with pytest.raises(PermissionError, match="append-only"):
        APPEND_ONLY_OPERATIONS[operation](row)
    assert list(model.objects.order_by("pk").values()) == before


@pytest.mark.parametrize("model", [ReferralEvent, ClinicalAccessLog], ids=lambda m: m.__name__)
def test_append_only_log_still_takes_new_rows(log_rows, model):
    count = model.objects.count()
    row = log_rows[model]
    row.pk = None
    row._state.adding = True
    row.save()
    assert model.objects.count() == count + 1


RAW_CHANGES = {
    "update": "UPDATE {table} SET created_at = created_at WHERE id = %s",
    "delete": "DELETE FROM {table} WHERE id = %s",
    "delete every row": "DELETE FROM {table} WHERE id >= %s",
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; SQLite has the model guard")
@pytest.mark.parametrize("change", sorted(RAW_CHANGES))
@pytest.mark.parametrize("model", [ReferralEvent, ClinicalAccessLog], ids=lambda m: m.__name__)
def test_raw_update_or_delete_of_a_log_row_is_refused_by_the_database_on_postgresql(log_rows, model, change):
    row = log_rows[model]
    before = list(model.objects.order_by("pk").values())
    sql = RAW_CHANGES[change].format(table=model._meta.db_table)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [row.pk])
    assert list(model.objects.order_by("pk").values()) == before


def test_a_referral_with_log_rows_cannot_be_deleted(log_rows):
    referral = log_rows[ReferralEvent].referral
    counts = (Referral.objects.count(), ReferralEvent.objects.count(), ClinicalAccessLog.objects.count())
    for delete in (referral.delete, Referral.objects.filter(pk=referral.pk).delete):
        with pytest.raises(ProtectedError) as refused, transaction.atomic():
            delete()
        protected = {type(row) for row in refused.value.protected_objects}
        assert protected == {ReferralEvent, ClinicalAccessLog}
    assert (Referral.objects.count(), ReferralEvent.objects.count(), ClinicalAccessLog.objects.count()) == counts


# --- the admin ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", PARTNER_SIDE_MODELS, ids=lambda m: m.__name__)
def test_admin_does_not_register_the_partner_side(model):
    assert not admin.site.is_registered(model)


@pytest.mark.parametrize("model", PARTNER_SIDE_MODELS, ids=lambda m: m.__name__)
def test_superuser_gets_404_for_the_partner_side_in_the_admin(client, login, model):
    login("admin")
    response = client.get(_admin_path(model))
    assert response.status_code == 404


@pytest.mark.parametrize("model", [ReferralEvent, ClinicalAccessLog], ids=lambda m: m.__name__)
def test_superuser_cannot_add_change_or_delete_log_rows_in_the_admin(client, login, log_rows, model):
    login("admin")
    row = log_rows[model]
    base = f"/admin/referrals/{model._meta.model_name}/"
    before = list(model.objects.order_by("pk").values())

    changelist = client.get(base)
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert client.get(f"{base}{row.pk}/delete/").status_code == 403
    assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(model.objects.order_by("pk").values()) == before


@pytest.mark.parametrize("model", [ReferralEvent, ClinicalAccessLog], ids=lambda m: m.__name__)
def test_admin_log_classes_deny_change_and_delete_to_a_superuser(rf, personas, log_rows, model):
    request = rf.get("/admin/")
    request.user = personas["admin"]
    model_admin = admin.site._registry[model]
    row = log_rows[model]
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, row) is False
    assert model_admin.has_delete_permission(request, row) is False
