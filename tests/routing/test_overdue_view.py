"""The supervisors' overdue page: requests not accepted in time and follow-ups past due, oldest first."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from referrals.models import Referral
from referrals.workflows.co_response.models import FollowUp
from referrals.workflows.co_response.services import follow_up_add, follow_up_complete, referral_accept
from tests.routing import file_referral

pytestmark = pytest.mark.django_db

OVERDUE = "/overdue/"
ITEM = re.compile(r'data-ref="(R-\w+)" data-overdue="(\w+)"')


def _filed_ago(personas, minutes: int) -> Referral:
    """A B2 request filed `minutes` ago and never accepted (its acceptance window is 2 minutes in the demo)."""
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(minutes=minutes)):
        return file_referral(personas["officer.b2"], "B2")


def _follow_up_due_ago(personas, minutes: int) -> FollowUp:
    """A follow-up that fell due `minutes` ago, scheduled an hour before that (a follow-up is scheduled ahead)."""
    clinician = personas["clinician.b2"]
    due_at = timezone.now() - timedelta(minutes=minutes)
    with mock.patch("django.utils.timezone.now", return_value=due_at - timedelta(hours=1)):
        referral = referral_accept(referral=file_referral(personas["officer.b2"], "B2"), actor=clinician)
        return follow_up_add(referral=referral, actor=clinician, kind=FollowUp.Kind.HOME_VISIT, due_at=due_at)


def _items(response) -> list[tuple[str, str]]:
    return ITEM.findall(response.content.decode())


def test_overdue_url_is_overdue():
    assert reverse("referrals:overdue") == OVERDUE


@pytest.mark.parametrize(
    ("username", "status"), [("clinician.supervisor", 200), ("clinician.b2", 403), ("officer.b2", 403)]
)
def test_only_a_supervisor_sees_the_overdue_page(client, login, username, status):
    login(username)

    assert client.get(OVERDUE).status_code == status


def test_overdue_lists_late_requests_and_follow_ups_oldest_first(client, login, personas):
    oldest = _filed_ago(personas, 180)
    follow_up = _follow_up_due_ago(personas, 60)
    recent = _filed_ago(personas, 30)
    file_referral(personas["officer.b2"], "B2")  # just filed: not overdue
    _follow_up_due_ago(personas, -60)  # due in an hour: not overdue
    login("clinician.supervisor")

    response = client.get(OVERDUE)

    assert response.status_code == 200
    assert _items(response) == [
        (oldest.public_id, "acceptance"),
        (follow_up.referral.public_id, "follow_up"),
        (recent.public_id, "acceptance"),
    ]


def test_a_done_follow_up_is_not_overdue(client, login, personas):
    follow_up = _follow_up_due_ago(personas, 60)
    follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome=FollowUp.Outcome.REACHED)
    login("clinician.supervisor")

    assert _items(client.get(OVERDUE)) == []


def test_overdue_page_query_count_does_not_grow_with_the_items(client, login, personas):
    def add(requests: int, follow_ups: int) -> None:
        for minutes in range(requests):
            _filed_ago(personas, 10 + minutes)
        for minutes in range(follow_ups):
            _follow_up_due_ago(personas, 10 + minutes)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(OVERDUE)
        assert response.status_code == 200
        return len(queries), len(_items(response))

    login("clinician.supervisor")
    add(2, 1)
    few_queries, few_items = measure()
    add(18, 9)
    many_queries, many_items = measure()

    assert (few_items, many_items) == (3, 30)
    assert many_queries == few_queries
