"""Crawl every Hub page and partial (with the CSV export, the notifications inbox and the websocket hints) as the
people who must never see who a situation is about, under both reveal settings, before the vote, after it and after
the conclusion: no full name, date of birth or address appears. A chosen (assisting) agency's member sees the name
of the one situation it was chosen on, and no other."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from hub import services
from hub.models import AgeBand, ConclusionCode, Gender, Meeting, RiskFactor, Situation, Table
from notifications import hints

# (name, date of birth, address), one person per situation; the agency proposing them is housing.
PEOPLE = {
    "agenda": ("Zephyrine Quackenbush", date(2007, 3, 14), "11 Sample Rd, Roxbury"),
    "rejected": ("Barnaby Oyelaran-Voss", date(1990, 7, 2), "22 Example St, Roxbury"),
    "accepted": ("Clementine Athanasiou", date(1985, 12, 30), "33 Sample Rd, Roxbury"),
    "chosen": ("Dmitri Halloran-Uchenna", date(2006, 9, 9), "44 Example St, Roxbury"),
    "concluded": ("Esmeralda Kowalczyk-Ibe", date(1972, 1, 19), "55 Sample Rd, Roxbury"),
    "school": ("Florian Nakagawa-Bright", date(2010, 6, 23), "66 Example St, Roxbury"),
}


def _secrets(keys) -> list[str]:
    found = []
    for key in keys:
        name, born, address = PEOPLE[key]
        found += [
            name,
            *name.replace("-", " ").split(),
            address,
            born.isoformat(),
            f"{born:%b} {born.day}, {born.year}",
        ]
        found += [f"{born:%m/%d/%Y}", f"{born:%B} {born.day}, {born.year}"]
    return found


ALL_SECRETS = _secrets(PEOPLE)


def _propose(seed, key: str) -> Situation:
    name, born, address = PEOPLE[key]
    return seed.propose(
        "housing",
        persons=[
            services.NewPerson(
                age_band=AgeBand.objects.get(code="18-24"),
                gender=Gender.FEMALE,
                full_name=name,
                date_of_birth=born,
                address=address,
            )
        ],
        risk_factors=list(RiskFactor.objects.filter(code__in=["homelessness", "eviction-risk"])),
        description="Person sleeping rough after an eviction, two recent assaults, no contact with services.",
    )


@pytest.fixture
def story(any_hub_seed, django_capture_on_commit_callbacks, monkeypatch):
    """Six situations at one table, proposed by housing, decided at a meeting where the school was absent."""
    seed = any_hub_seed
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(hints, "_send", lambda groups, message: sent.append((list(groups), message)))
    with django_capture_on_commit_callbacks(execute=True):
        meeting = seed.meeting(present=("police", "housing", "health"))
        situations = {key: _propose(seed, key) for key in PEOPLE}
        for situation in situations.values():
            services.agenda_add(situation=situation, actor=seed.coordinator, meeting=meeting)
    return seed, meeting, situations, sent


def _advance(seed, meeting: Meeting, situations: dict) -> None:
    """The vote, the reveal (where the table reveals to those present), the choice of agencies, one conclusion."""
    c = seed.coordinator
    s = situations
    services.threshold_decide(situation=s["rejected"], actor=c, meeting=meeting, met=False)
    for key in ("accepted", "chosen", "concluded", "school"):
        services.threshold_decide(situation=s[key], actor=c, meeting=meeting, met=True)
        if seed.table.reveal == Table.Reveal.PRESENT:
            services.names_reveal(situation=s[key], actor=c, meeting=meeting)
    police, housing, school = (seed.agencies[k] for k in ("police", "housing", "school"))
    for key in ("chosen", "concluded"):
        services.agencies_choose(situation=s[key], actor=c, lead=housing, assisting=[police], meeting=meeting)
    services.agencies_choose(situation=s["school"], actor=c, lead=housing, assisting=[school], meeting=meeting)
    services.situation_conclude(situation=s["concluded"], actor=c, code=_code())


def _conclude_the_rest(seed, situations: dict) -> None:
    for key in ("chosen", "school"):
        services.situation_conclude(situation=situations[key], actor=seed.coordinator, code=_code())


def _code() -> ConclusionCode:
    return ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services")


def _urls(seed, meeting: Meeting, situations: dict) -> list[str]:
    table = seed.table.pk
    urls = [
        reverse("hub:tables"),
        reverse("hub:table", args=[table]),
        reverse("hub:propose", args=[table]),
        reverse("hub:meeting", args=[meeting.pk]),
        reverse("hub:meeting", args=[meeting.pk]) + "?part=agenda",
        reverse("hub:escalations"),
        reverse("hub:export", args=[table]),
        reverse("notifications:inbox"),
        reverse("accounts:role_home"),
    ]
    for position in range(1, len(situations) + 1):
        urls.append(reverse("hub:meeting", args=[meeting.pk]) + f"?item={position}")
    urls += [reverse("hub:situation", args=[s.public_id]) for s in situations.values()]
    return urls


def _crawl(client, urls: list[str]) -> list[tuple[str, int, str]]:
    pages = []
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            pages.append((url, response.status_code, response.content.decode()))
    return pages


def _assert_no_identity(pages, secrets, who: str) -> None:
    for url, _, text in pages:
        for secret in secrets:
            assert secret not in text, f"{secret!r} reached {who} on {url}"


def _assert_no_identity_in_hints(sent) -> None:
    for _groups, message in sent:
        assert set(message) <= {"type", "topic", "ref", "seq"}, message
        for secret in ALL_SECRETS:
            assert secret not in json.dumps(message), message


OUTSIDERS = ["officer", "sergeant", "school", "health"]


def _user(seed, personas, who: str):
    return personas["sergeant.b2"] if who == "sergeant" else seed.users[who]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_identity_reaches_an_officer_a_supervisor_or_a_member_not_chosen_at_any_stage(
    client, story, personas, who, django_capture_on_commit_callbacks
):
    seed, meeting, situations, sent = story
    client.force_login(_user(seed, personas, who))
    urls = _urls(seed, meeting, situations)
    # The school is chosen on one situation ("school"): its name is the school's once chosen, never the others'.
    hidden = [k for k in PEOPLE if not (who == "school" and k == "school")]
    _assert_no_identity(_crawl(client, urls), ALL_SECRETS, f"{who} before the vote")
    with django_capture_on_commit_callbacks(execute=True):
        _advance(seed, meeting, situations)
    _assert_no_identity(_crawl(client, urls), _secrets(hidden), f"{who} after the vote")
    with django_capture_on_commit_callbacks(execute=True):
        _conclude_the_rest(seed, situations)
    _assert_no_identity(_crawl(client, urls), ALL_SECRETS, f"{who} after the conclusion")
    _assert_no_identity_in_hints(sent)


def test_an_assisting_agency_sees_the_name_of_the_situation_it_was_chosen_on_and_no_other(client, story):
    seed, meeting, situations, _ = story
    _advance(seed, meeting, situations)
    client.force_login(seed.users["school"])
    name, _, address = PEOPLE["school"]
    own = client.get(reverse("hub:situation", args=[situations["school"].public_id])).content.decode()
    assert name in own and address in own
    others = [k for k in PEOPLE if k != "school"]
    pages = _crawl(client, _urls(seed, meeting, {k: situations[k] for k in others}))
    _assert_no_identity(pages, _secrets(others), "the assisting school")
    # Meeting mode and lists never show it, even to the agency that may read it on the situation page.
    for url, _, text in _crawl(
        client, [reverse("hub:meeting", args=[meeting.pk]), reverse("hub:table", args=[seed.table.pk])]
    ):
        assert name not in text, url


def test_the_hints_of_a_whole_story_carry_no_identity(story, django_capture_on_commit_callbacks):
    seed, meeting, situations, sent = story
    with django_capture_on_commit_callbacks(execute=True):
        _advance(seed, meeting, situations)
        _conclude_the_rest(seed, situations)
    assert sent
    _assert_no_identity_in_hints(sent)
    topics = {message["topic"] for _, message in sent}
    assert topics <= {"hub-situation", "hub-agenda", "inbox"}
