"""A mobile number for text messages is written with the ASCII digits 0-9 only."""

from __future__ import annotations

import pytest

from notifications.models import Contact, DeliveryPreference

pytestmark = pytest.mark.django_db

PREFERENCES = "/notifications/preferences"


@pytest.mark.parametrize(
    "mobile",
    [
        "+١٦١٧٥٥٥٠١٠٠",  # Arabic-Indic digits: str.isdigit() is true for them
        "+۱۶۱۷۵۵۵۰۱۰۰",  # Extended Arabic-Indic (Persian)
        "+१६१७५५५०१००",  # Devanagari
        "+１６１７５５５０１００",  # fullwidth
        "+1 617 555 ０１００",  # one fullwidth group among ASCII ones
    ],
    ids=["arabic-indic", "persian", "devanagari", "fullwidth", "mixed"],
)
def test_a_mobile_number_with_non_ascii_digits_is_refused_and_nothing_is_stored(client, login, settings, mobile):
    settings.SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    officer = login("officer.b2")

    response = client.post(PREFERENCES, {"accepted-sms": "on", "mobile": mobile})

    assert response.status_code == 422
    assert "Write the mobile number with the digits 0-9, e.g. +1 617 555 0100." in response.content.decode()
    assert not Contact.objects.filter(user=officer).exists()
    assert not DeliveryPreference.objects.filter(user=officer).exists()


@pytest.mark.parametrize("mobile", ["+1617555010", "+161755501001234"])  # 10 and 15 digits
def test_a_mobile_number_of_ascii_digits_is_stored(client, login, settings, mobile):
    settings.SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    officer = login("officer.b2")

    response = client.post(PREFERENCES, {"accepted-sms": "on", "mobile": mobile})

    assert response.status_code == 302
    assert Contact.objects.get(user=officer).mobile == mobile


@pytest.mark.parametrize("mobile", ["+123456", "+1234567890123456", "++16175550100", "+1 (617) 555 0100"])
def test_a_mobile_number_too_short_too_long_or_with_other_signs_is_refused(client, login, mobile):
    officer = login("officer.b2")

    response = client.post(PREFERENCES, {"accepted-sms": "on", "mobile": mobile})

    assert response.status_code == 422
    assert "Write the mobile number in international form, e.g. +1 617 555 0100." in response.content.decode()
    assert not Contact.objects.filter(user=officer).exists()
