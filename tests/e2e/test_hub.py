"""A Hub meeting end to end on laptops: the coordinator runs three situations through meeting mode (one rejected,
one accepted with a lead and two assisting agencies, one concluded) with never a name on the shared screen; the
assisting school's member, watching the accepted one's page, sees its name arrive live and sees no other name; the
health agency (at the table, no information-sharing agreement) sees none; no websocket frame names anyone."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_not_reloaded, collect_frames, mark_page, sign_in

# (name, date of birth, address): the three persons, proposed by officer.b2 for the police.
PEOPLE = [
    ("Ottoline Vasquez-Marr", date(2001, 4, 12), "17 Sample Rd, Roxbury"),
    ("Percival Adeyemi-Stroud", date(2008, 10, 3), "29 Example St, Roxbury"),
    ("Querida Lindqvist-Obi", date(1968, 2, 27), "41 Sample Rd, Roxbury"),
]
SECRETS = [
    s for name, born, address in PEOPLE for s in (name, address, born.isoformat(), f"{born:%b} {born.day}, {born.year}")
]


def _seed():
    """The B2 table (names shared with the agencies present), today's meeting, three situations on its agenda."""
    from django.contrib.auth import get_user_model

    from hub import services
    from hub.models import AgeBand, Gender, RiskFactor
    from hub.reference import reference_seed
    from tests.conftest import PASSWORD
    from tests.hub import build_hub_seed

    reference_seed()  # a transactional test's flush dropped what the migration seeded
    personas = {u.username: u for u in get_user_model().objects.all()}
    seed = build_hub_seed(personas)
    health = seed.users["health"]
    health.set_password(PASSWORD)
    health.save(update_fields=["password"])
    meeting = services.meeting_schedule(table=seed.table, actor=seed.coordinator, held_on=timezone.localdate())
    situations = []
    for name, born, address in PEOPLE:
        situation = seed.propose(
            "officer",
            persons=[
                services.NewPerson(
                    age_band=AgeBand.objects.get(code="18-24"),
                    gender=Gender.FEMALE,
                    full_name=name,
                    date_of_birth=born,
                    address=address,
                )
            ],
            risk_factors=list(RiskFactor.objects.filter(code__in=["homelessness", "suicidal-ideation"])),
            description="Person sleeping rough, talking of ending their life, turned away from two shelters.",
        )
        services.agenda_add(situation=situation, actor=seed.coordinator, meeting=meeting)
        situations.append(situation)
    return seed, meeting, situations


def _assert_no_identity(texts, secrets, who: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} reached {who}"


def test_coordinator_runs_a_meeting_and_only_the_assisting_agency_sees_the_accepted_name(e2e_personas, laptop):
    from hub.models import ConclusionCode

    seed, meeting, (rejected, accepted, concluded) = _seed()
    code = str(ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services"))

    # The school's member watches the situation that will be accepted: no name yet.
    school = laptop()
    school_frames = collect_frames(school)
    sign_in(school, "agency.school")
    expect(school).to_have_url(re.compile(r"/hub/$"))
    expect(school.locator(f"[data-table='{seed.table.pk}']")).to_be_visible()
    school.goto(f"/hub/situations/{accepted.public_id}/")
    expect(school.locator("body[data-live-state=open]")).to_have_count(1)
    expect(school.locator("[data-identity-withheld]")).to_be_visible()
    mark_page(school)

    health = laptop()
    health_frames = collect_frames(health)
    sign_in(health, "agency.health")
    expect(health).to_have_url(re.compile(r"/hub/$"))
    health.goto(f"/hub/tables/{seed.table.pk}/")
    expect(health.locator("body[data-live-state=open]")).to_have_count(1)

    # The coordinator: My tables -> the table -> meeting mode.
    coordinator = laptop()
    coordinator_frames = collect_frames(coordinator)
    sign_in(coordinator, "hub.coordinator")
    expect(coordinator).to_have_url(re.compile(r"/hub/$"))
    coordinator.get_by_role("link", name=re.compile(re.escape(seed.table.name))).first.click()
    coordinator.locator(f"[data-meeting='{meeting.pk}'] a").click()
    expect(coordinator).to_have_url(re.compile(rf"/hub/meetings/{meeting.pk}/$"))
    shown = [coordinator.content()]
    coordinator.get_by_role("button", name="Open the meeting").click()
    expect(coordinator.locator("[data-meeting-state]")).to_have_text("Open")
    for label in (
        "Boston Police Department",
        "Boston Housing Authority",
        "Boston Public Schools",
        "Boston Public Health",
    ):
        coordinator.locator("form[data-attendance]").get_by_label(re.compile(re.escape(label))).check()
    coordinator.get_by_role("button", name="Record attendance").click()
    expect(coordinator.locator("[data-present]")).to_contain_text("Boston Public Health Commission")

    # 1: threshold not met; meeting mode moves on.
    expect(coordinator.locator("[data-position]")).to_have_text("Situation 1 of 3")
    expect(coordinator.locator("[data-current-item]")).to_have_attribute("data-current-item", rejected.public_id)
    coordinator.get_by_role("button", name="Threshold not met").click()
    expect(coordinator.locator("[data-position]")).to_have_text("Situation 2 of 3")
    shown.append(coordinator.content())

    # 2: threshold met, names shared with the agencies present (those with an agreement), lead and two assisting.
    coordinator.get_by_role("button", name="Threshold met", exact=True).click()
    expect(coordinator.locator("[data-current-item] [data-state]")).to_have_text("Threshold met")
    coordinator.get_by_role("button", name=re.compile("Share names with the agencies present")).click()
    revealed = coordinator.locator("[data-revealed-to]")
    for agency in ("Boston Housing Authority", "Boston Police Department", "Boston Public Schools"):
        expect(revealed).to_contain_text(agency)
    expect(revealed).not_to_contain_text("Health")  # no information-sharing agreement: never a name
    shown.append(coordinator.content())
    choose = coordinator.locator("form[data-choose]")
    choose.get_by_label("Lead agency").select_option(label="Boston Housing Authority (Housing)")
    choose.get_by_label("Boston Public Schools (Education)").check()
    choose.get_by_label("Boston Police Department (Police)").check()
    choose.get_by_role("button", name="Choose and go on").click()
    expect(coordinator.locator("[data-position]")).to_have_text("Situation 3 of 3")

    # The school's open page shows the name by itself, without a reload.
    expect(school.locator("[data-person-name]")).to_have_text(PEOPLE[1][0], timeout=5_000)
    assert_not_reloaded(school)
    expect(school.locator("[data-chosen]")).to_contain_text("Boston Public Schools (assisting)")

    # 3: threshold met, a lead and one assisting, then concluded with its code.
    coordinator.get_by_role("button", name="Threshold met", exact=True).click()
    expect(coordinator.locator("[data-current-item] [data-state]")).to_have_text("Threshold met")
    choose = coordinator.locator("form[data-choose]")
    choose.get_by_label("Lead agency").select_option(label="Boston Housing Authority (Housing)")
    choose.get_by_label("Boston Police Department (Police)").check()
    choose.get_by_role("button", name="Choose and go on").click()
    expect(coordinator.locator("[data-current-item] [data-state]")).to_have_text("Intervention")
    coordinator.locator("form[data-conclude]").get_by_label("Conclusion").select_option(label=code)
    coordinator.get_by_role("button", name="Conclude").click()
    expect(coordinator.locator("[data-current-item] [data-state]")).to_have_text("Concluded")
    expect(coordinator.locator("#agenda [data-state]")).to_have_text(["Threshold not met", "Intervention", "Concluded"])
    shown.append(coordinator.content())
    for position in (1, 2, 3):
        coordinator.goto(f"/hub/meetings/{meeting.pk}/?item={position}")
        shown.append(coordinator.content())
    _assert_no_identity(shown, SECRETS, "the coordinator's shared screen")

    # The assisting school: the accepted one's name, and no other.
    school_pages = []
    for situation in (rejected, concluded):
        school.goto(f"/hub/situations/{situation.public_id}/")
        school_pages.append(school.content())
    school.goto(f"/hub/situations/{accepted.public_id}/")
    expect(school.locator("[data-person-name]")).to_have_text(PEOPLE[1][0])
    school.goto(f"/hub/tables/{seed.table.pk}/")
    school_pages.append(school.content())
    _assert_no_identity(school_pages, [s for p in (PEOPLE[0], PEOPLE[2]) for s in (p[0], p[2])], "the school")

    # The health agency (not chosen, no agreement): none.
    health_pages = [health.content()]
    for situation in (rejected, accepted, concluded):
        health.goto(f"/hub/situations/{situation.public_id}/")
        health_pages.append(health.content())
    _assert_no_identity(health_pages, SECRETS, "the health agency")

    # The hints arrived (the school's page changed by one) and none names anyone.
    assert school_frames and coordinator_frames
    _assert_no_identity(school_frames + health_frames + coordinator_frames, SECRETS, "a websocket frame")
