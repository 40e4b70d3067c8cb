"""Break-glass: a partner supervisor opens another partner's record for a serious and imminent threat, with a
reason; it is flagged, logged, read-only, time-limited and reviewed by a second person, and never opens Part 2."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse

from referrals import break_glass, events, services
from referrals.errors import ReferralError, Refused
from referrals.models import BreakGlass, BreakGlassReview, ClinicalAccessLog, ClinicalNote, ReferralEvent
from tests.referrals.factories import advance, file_referral

PART2 = "Methadone clinic dosing record, take-homes suspended"
ORDINARY = "Threatened his neighbour with a knife"
REASON = "He told our youth worker he will hurt his brother tonight; need the crisis plan"

OPENER = "youth.supervisor"  # YouthConnect's supervisor, outside BEST's record
REVIEWER = "youth.supervisor.second"  # a second supervisor of the opener's own organisation (the `referral` fixture)


@pytest.fixture
def referral(personas):
    """A BEST B2 call held by clinician.b2, with an ordinary note and a Part 2 note; and a second YouthConnect
    supervisor (REVIEWER) to review the opener's openings."""
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation, Role
    from accounts.services import membership_create

    reviewer = get_user_model().objects.create_user(username=REVIEWER, password=None)
    youthconnect = Organisation.objects.get(short_name="YouthConnect")
    membership_create(user=reviewer, organisation=youthconnect, role=Role.WORKER_SUPERVISOR, all_districts=True)
    personas[REVIEWER] = reviewer
    referral = advance(
        file_referral(personas["officer.b2"], "B2", subject_name="Cosmo Ferrante"), personas["clinician.b2"], "on_scene"
    )
    services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=ORDINARY)
    services.clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=PART2, part2=True)
    return referral


def _rows():
    return (BreakGlass.objects.count(), ReferralEvent.objects.count(), ClinicalAccessLog.objects.count())


@pytest.mark.parametrize("username", ["youth.e13", "clinician.c11", "officer.b2", "sergeant.b2", "agency.school"])
def test_break_glass_is_refused_to_anyone_but_a_partner_supervisor(referral, personas, username):
    before = _rows()
    with pytest.raises(Refused, match="supervisor"):
        break_glass.break_glass_open(referral=referral, actor=personas[username], reason=REASON)
    assert _rows() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_break_glass_is_refused_without_a_reason(referral, personas, reason):
    before = _rows()
    with pytest.raises(ReferralError, match="threat"):
        break_glass.break_glass_open(referral=referral, actor=personas[OPENER], reason=reason)
    assert _rows() == before


def test_break_glass_is_refused_for_a_record_already_in_scope(referral, personas):
    before = _rows()
    with pytest.raises(ReferralError, match="already yours"):
        break_glass.break_glass_open(referral=referral, actor=personas["clinician.supervisor"], reason=REASON)
    assert _rows() == before


def test_break_glass_opens_the_record_read_only_flagged_and_logged(client, login, referral, personas):
    user = login(OPENER)
    case_url = reverse("referrals:case", args=[referral.public_id])
    assert client.get(case_url).status_code == 404

    opening = break_glass.break_glass_open(referral=referral, actor=user, reason=f"  {REASON} ")
    assert (opening.referral, opening.opened_by, opening.reason) == (referral, user, REASON)
    assert opening.expires_at - opening.opened_at == timedelta(minutes=60)
    event = ReferralEvent.objects.get(kind=events.BREAK_GLASS)
    assert (event.referral, event.actor, event.police_visible) == (referral, user, False)
    assert REASON not in event.message

    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(case_url, headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert ORDINARY in html and "Cosmo Ferrante" in html
        assert PART2 not in html  # never under break-glass
    logged = list(ClinicalAccessLog.objects.filter(user=user, outcome="read").values_list("referral", "view", "reason"))
    assert logged == [(referral.pk, "referrals:case", "break-glass")] * 2
    # The 404 before the opening was a refused read, logged as such.
    refused = ClinicalAccessLog.objects.get(user=user, outcome="refused")
    assert (refused.referral, refused.reason) == (referral, "not in the reader's scope")

    # Read only: no action is theirs, and the record stays off their lists.
    notes = ClinicalNote.objects.count()
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "note"]), {"text": "x"})
    assert response.status_code == 403
    assert ClinicalNote.objects.count() == notes
    assert referral.public_id not in client.get(reverse("referrals:queue")).content.decode()


def test_break_glass_expires(client, login, referral, personas, settings):
    settings.BREAK_GLASS_MINUTES = 5
    user = login(OPENER)
    opening = break_glass.break_glass_open(referral=referral, actor=user, reason=REASON)
    assert opening.expires_at - opening.opened_at == timedelta(minutes=5)
    case_url = reverse("referrals:case", args=[referral.public_id])
    assert client.get(case_url).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=opening.expires_at + timedelta(seconds=1)):
        assert client.get(case_url).status_code == 404
    assert ClinicalAccessLog.objects.filter(user=user, outcome="read").count() == 1
    assert ClinicalAccessLog.objects.filter(user=user, outcome="refused").count() == 1  # the read after expiry


def test_review_by_the_opener_is_refused_and_by_a_second_supervisor_recorded(referral, personas):
    opening = break_glass.break_glass_open(referral=referral, actor=personas[OPENER], reason=REASON)
    with pytest.raises(Refused, match="second person"):
        break_glass.break_glass_review(
            opening=opening, actor=personas[OPENER], outcome=BreakGlassReview.Outcome.JUSTIFIED
        )
    with pytest.raises(Refused, match="Only a supervisor"):
        break_glass.break_glass_review(
            opening=opening, actor=personas["youth.e13"], outcome=BreakGlassReview.Outcome.JUSTIFIED
        )
    # A supervisor of another organisation (BEST's, whose record it is) neither lists nor reviews it.
    with pytest.raises(Refused, match="opener's own organisation"):
        break_glass.break_glass_review(
            opening=opening, actor=personas["clinician.supervisor"], outcome=BreakGlassReview.Outcome.JUSTIFIED
        )
    assert list(break_glass.unreviewed(user=personas["clinician.supervisor"])) == []
    assert list(break_glass.unreviewed(user=personas[OPENER])) == []  # never the opener's own
    assert BreakGlassReview.objects.count() == 0
    assert list(break_glass.unreviewed(user=personas[REVIEWER])) == [opening]

    review = break_glass.break_glass_review(
        opening=opening, actor=personas[REVIEWER], outcome=BreakGlassReview.Outcome.JUSTIFIED, comment="Threat real"
    )
    assert (review.opening, review.reviewed_by, review.outcome) == (
        opening,
        personas[REVIEWER],
        BreakGlassReview.Outcome.JUSTIFIED,
    )
    assert list(break_glass.unreviewed(user=personas[REVIEWER])) == []
    with pytest.raises(ReferralError, match="already been reviewed"):
        break_glass.break_glass_review(
            opening=opening, actor=personas[REVIEWER], outcome=BreakGlassReview.Outcome.NOT_JUSTIFIED
        )


@pytest.mark.parametrize("model", [BreakGlass, BreakGlassReview], ids=lambda m: m.__name__)
def test_break_glass_rows_are_append_only(referral, personas, model):
    opening = break_glass.break_glass_open(referral=referral, actor=personas[OPENER], reason=REASON)
    break_glass.break_glass_review(
        opening=opening, actor=personas[REVIEWER], outcome=BreakGlassReview.Outcome.JUSTIFIED
    )
    row = model.objects.get()
    for change in (row.save, row.delete, model.objects.all().delete, lambda: model.objects.update(pk=row.pk)):
        with pytest.raises(PermissionError, match="append-only"):
            change()
    assert BreakGlass.objects.get().expires_at == opening.expires_at


# --- the pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["youth.e13", "clinician.b2", "officer.b2", "agency.school"])
def test_break_glass_page_is_403_for_anyone_but_a_partner_supervisor(client, login, referral, username):
    login(username)
    url = reverse("referrals:break_glass")
    assert client.get(url).status_code == 403
    assert client.post(url, {"public_id": referral.public_id, "reason": REASON}).status_code == 403
    assert BreakGlass.objects.count() == 0


def test_break_glass_page_without_a_reason_gives_the_form_back(client, login, referral):
    login(OPENER)
    response = client.post(reverse("referrals:break_glass"), {"public_id": referral.public_id, "reason": " "})
    assert response.status_code == 422
    assert BreakGlass.objects.count() == 0


def test_break_glass_page_opens_the_record_and_reviewers_list_it(client, login, referral, personas):
    login(OPENER)
    assert client.get(reverse("referrals:break_glass")).status_code == 200
    response = client.post(
        reverse("referrals:break_glass"), {"public_id": referral.public_id.lower(), "reason": REASON}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:case", args=[referral.public_id])
    opening = BreakGlass.objects.get()
    html = client.get(reverse("referrals:break_glass_reviews")).content.decode()
    assert f'data-opening="{opening.pk}"' not in html  # the opener's own opening is not theirs to review
    assert (
        client.post(reverse("referrals:break_glass_review", args=[opening.pk]), {"outcome": "justified"}).status_code
        == 404
    )

    login(REVIEWER)
    html = client.get(reverse("referrals:break_glass_reviews")).content.decode()
    assert f'data-opening="{opening.pk}"' in html
    response = client.post(reverse("referrals:break_glass_review", args=[opening.pk]), {"outcome": "justified"})
    assert response.status_code == 302
    assert BreakGlassReview.objects.get().reviewed_by == personas[REVIEWER]
    assert f'data-opening="{opening.pk}"' not in client.get(reverse("referrals:break_glass_reviews")).content.decode()


def test_break_glass_reviews_page_is_403_without_the_review_permission(client, login):
    login("youth.e13")
    assert client.get(reverse("referrals:break_glass_reviews")).status_code == 403
