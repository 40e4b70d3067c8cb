from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, sign_in_both_steps

# Until each role's own feature lands, its home is the "who am I and what can I do" page.
EXPECTED_HOME = {
    "officer.b2": "/referrals/",
    "officer.d4": "/referrals/",
    "sergeant.b2": "/referrals/",
    "clinician.b2": "/queue/",
    "clinician.c11": "/queue/",
    "clinician.supervisor": "/queue/",
    "youth.e13": "/accounts/me/",
    "youth.supervisor": "/accounts/me/",
    "hub.coordinator": "/hub/",
    "agency.housing": "/hub/",
    "agency.school": "/hub/",
    "analyst": "/dashboards/",
    "admin": "/admin/",
}


@pytest.mark.parametrize("username", sorted(EXPECTED_HOME))
def test_each_persona_lands_on_its_home_after_login(client, personas, username):
    signed_in = sign_in_both_steps(client, username, PASSWORD)
    assert signed_in.status_code == 302
    response = client.get(signed_in["Location"], follow=True)
    assert response.redirect_chain[-1][0] == EXPECTED_HOME[username]
    assert response.status_code == 200


def test_role_home_shows_organisation_role_and_districts(client, login):
    login("clinician.b2")
    html = client.get("/accounts/me/").content.decode()
    assert "Clinician" in html
    assert "Boston Emergency Services Team" in html
    assert "B2 Roxbury" in html


def test_wrong_password_shows_a_clear_message_and_signs_nobody_in(client, personas):
    response = client.post("/accounts/login/", {"username": "officer.b2", "password": "wrong"})
    assert response.status_code == 200
    assert "That username and password do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_is_a_post_and_ends_the_session(client, login):
    login("officer.b2")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_role_home_lists_the_actions_that_work_today(client, login):
    login("youth.e13")
    html = client.get("/accounts/me/").content.decode()
    assert 'href="/notifications/">Notifications</a>' in html
    assert 'href="/notifications/preferences">How notifications reach you (email, text)</a>' in html
