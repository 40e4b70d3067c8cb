"""The officer's request form on a phone: Return does not send, Back + Send does not file twice, errors are seen,
"Use my location" keeps the typed words; the bell and the delivery preferences fit a 390 px screen."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import CHOOSER_URL, PHONE, choose_program, open_new_request, sign_in

SENT = re.compile(r"Request R-\w+ sent")
ALREADY_SENT = re.compile(r"Request R-\w+ was already sent; here it is\.")
DETAIL_URL = re.compile(r"/referrals/(R-\w+)/$")
# The co-response form, as the chooser opens it with the officer's home district.
FORM_URL = re.compile(r"/referrals/new/\?program=co-response&district=\d+$")
BOSTON_COMMON = {"latitude": 42.355, "longitude": -71.0656, "accuracy": 15}


def referral_count() -> int:
    from referrals.models import Referral

    return Referral.objects.count()


def open_form(page) -> None:
    sign_in(page, "officer.b2")
    open_new_request(page)
    expect(page).to_have_url(FORM_URL)


def key_of(page) -> str:
    return page.locator("input[name=idempotency_key]").input_value()


def record_posts(page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    return posts


def settle(page) -> None:
    """Long enough for a form submission that Return started to have sent its request."""
    page.wait_for_timeout(500)


def test_return_in_the_location_and_cad_fields_does_not_send(e2e_personas, phone):
    page = phone()
    open_form(page)
    posts = record_posts(page)
    page.evaluate("window.__notReloaded = true")

    page.fill("#id_location_text", "Longfellow Bridge")
    page.press("#id_location_text", "Enter")
    settle(page)
    # Return moves on to the next field to type in, as a phone keyboard's "Next" does.
    expect(page.locator("#id_circumstances")).to_be_focused()

    page.fill("#id_cad_incident_number", "P260012345")
    page.press("#id_cad_incident_number", "Enter")
    settle(page)

    assert posts == []
    assert page.evaluate("window.__notReloaded === true")
    expect(page).to_have_url(FORM_URL)
    assert referral_count() == 0
    expect(page.locator("#id_location_text")).to_have_attribute("enterkeyhint", "next")
    expect(page.locator("#id_cad_incident_number")).to_have_attribute("enterkeyhint", "done")


def test_return_in_the_textarea_starts_a_new_line(e2e_personas, phone):
    page = phone()
    open_form(page)
    posts = record_posts(page)

    page.locator("#id_circumstances").press_sequentially("On the railing")
    page.press("#id_circumstances", "Enter")
    page.locator("#id_circumstances").press_sequentially("Shouting")
    settle(page)

    expect(page.locator("#id_circumstances")).to_have_value("On the railing\nShouting")
    assert posts == []
    assert referral_count() == 0


def test_back_after_send_then_send_again_lands_on_the_same_request(e2e_personas, phone):
    page = phone()
    open_form(page)
    page.fill("#id_location_text", "Longfellow Bridge")
    first_key = key_of(page)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(SENT)).to_be_visible()
    public_id = DETAIL_URL.search(page.url).group(1)

    page.go_back()
    expect(page).to_have_url(FORM_URL)
    expect(page.get_by_role("button", name="Send request")).to_be_enabled()
    assert key_of(page) == first_key
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_text(ALREADY_SENT)).to_be_visible()
    assert DETAIL_URL.search(page.url).group(1) == public_id
    from referrals.models import Referral

    assert list(Referral.objects.values_list("public_id", flat=True)) == [public_id]
    assert str(Referral.objects.get().idempotency_key) == first_key


def test_back_after_send_keeps_the_key_when_the_page_is_fetched_again_or_restored(e2e_personas, phone):
    """The server renders a new key on every GET, and a browser may restore an old page or old field values: after
    Back, the form still sends the key it was first opened with."""
    page = phone()
    open_form(page)
    first_key = key_of(page)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(SENT)).to_be_visible()

    page.go_back()
    expect(page).to_have_url(FORM_URL)
    page.reload()  # always a fresh GET from the server, whatever the back/forward cache did
    expect(page.get_by_role("button", name="Send request")).to_be_enabled()
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"
    assert key_of(page) == first_key

    # What a page kept whole in the back/forward cache, or a browser's form restoration, may come back with.
    page.evaluate(
        """() => {
            document.querySelector("input[name=idempotency_key]").value = crypto.randomUUID();
            const send = document.querySelector("[data-submit-once]");
            send.disabled = true;
            send.textContent = "Sending…";
            window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
        }"""
    )
    assert key_of(page) == first_key
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_text(ALREADY_SENT)).to_be_visible()
    assert referral_count() == 1


def test_a_new_request_opened_on_purpose_gets_a_new_key(e2e_personas, phone):
    page = phone()
    open_form(page)
    first_key = key_of(page)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(SENT)).to_be_visible()

    page.get_by_role("link", name="New request", exact=True).click()
    expect(page).to_have_url(CHOOSER_URL)
    choose_program(page)
    expect(page).to_have_url(FORM_URL)
    assert key_of(page) != first_key
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_text(SENT)).to_be_visible()
    assert referral_count() == 2


def test_a_server_error_in_the_person_section_opens_it_and_focuses_the_field(e2e_personas, phone):
    page = phone()
    open_form(page)
    page.get_by_text("The person (if known)").click()
    page.fill("#id_subject_age", "500")
    # Past the browser's own check, as an old browser or a tampered page would send it: the server answers 422.
    page.evaluate("document.getElementById('id_subject_age').removeAttribute('max')")
    page.get_by_text("The person (if known)").click()
    expect(page.locator("#id_subject_age")).to_be_hidden()

    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Send request").click()
    assert answer.value.status == 422

    expect(page.locator("details")).to_have_attribute("open", "")
    expect(page.locator("#id_subject_age")).to_be_visible()
    expect(page.locator("#id_subject_age")).to_be_focused()
    expect(page.get_by_text("Ensure this value is less than or equal to 120.")).to_be_visible()
    assert referral_count() == 0


def test_a_browser_check_in_the_closed_person_section_opens_it_and_focuses_the_field(e2e_personas, phone):
    page = phone()
    open_form(page)
    posts = record_posts(page)
    page.get_by_text("The person (if known)").click()
    page.fill("#id_subject_age", "500")
    page.get_by_text("The person (if known)").click()
    expect(page.locator("#id_subject_age")).to_be_hidden()

    page.get_by_role("button", name="Send request").click()

    expect(page.locator("#id_subject_age")).to_be_visible()
    expect(page.locator("#id_subject_age")).to_be_focused()
    settle(page)
    assert posts == []
    assert referral_count() == 0


def test_use_my_location_keeps_the_typed_location_and_shows_the_coordinates(e2e_personas, phone, live_server_url):
    page = phone()
    page.context.grant_permissions(["geolocation"], origin=live_server_url)
    page.context.set_geolocation(BOSTON_COMMON)
    open_form(page)
    status = page.locator("[data-geolocate-status]")

    page.get_by_role("button", name="Use my location").click()
    expect(status).to_have_text("Location added: 42.355000, -71.065600 (±15 m).")
    expect(page.locator("#id_location_text")).to_have_value("")

    page.fill("#id_location_text", "Bench by the Frog Pond")
    page.get_by_role("button", name="Use my location").click()
    expect(status).to_contain_text("42.355000, -71.065600")
    expect(page.locator("#id_location_text")).to_have_value("Bench by the Frog Pond")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(SENT)).to_be_visible()

    from referrals.models import Referral

    referral = Referral.objects.get()
    assert referral.location_text == "Bench by the Frog Pond"
    assert (str(referral.latitude), str(referral.longitude)) == ("42.355000", "-71.065600")


def test_the_bell_is_an_svg_with_its_unread_count_visible(e2e_personas, phone):
    page = phone()
    sign_in(page, "officer.b2")

    bell = page.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_have_accessible_name("Notifications: 0 unread")
    expect(bell.locator("svg")).to_have_count(1)
    expect(bell.locator("svg")).to_be_visible()
    expect(bell.locator("[data-bell-count]")).to_be_visible()
    expect(bell).to_have_text("0")  # the count and nothing else: no emoji that a phone may draw as an empty box


def test_delivery_preferences_do_not_scroll_sideways_on_a_phone(e2e_personas, phone):
    officer = e2e_personas["officer.b2"]
    officer.email = "dana.reyes.district-b2.night-shift@boston-police-department.example.org"
    officer.save(update_fields=["email"])
    page = phone()
    sign_in(page, "officer.b2")

    page.goto("/notifications/preferences")

    expect(page.get_by_role("heading", name="Delivery preferences")).to_be_visible()
    expect(page.get_by_text(officer.email)).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
