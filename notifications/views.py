from __future__ import annotations

import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import relay
from notifications.models import Contact, Kind
from notifications.selectors import inbox_of, preferences_of, unread_count
from notifications.services import notification_mark_read, preferences_save

# "+" and 7 to 15 ASCII digits (E.164). Not str.isdigit(): it is true for Arabic-Indic, Devanagari and other digits
# that an SMS gateway cannot dial.
MOBILE_NUMBER = re.compile(r"\+[0-9]{7,15}", re.ASCII)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = {"notifications": list(inbox_of(request.user))}
    template = "notifications/inbox.html#list" if request.htmx else "notifications/inbox.html"
    return render(request, template, context)


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/_bell.html", {"unread_count": unread_count(request.user)})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    if not notification_mark_read(user=request.user, notification_id=notification_id):
        # Unknown, someone else's, or already read: say nothing more than that.
        messages.info(request, "Nothing to mark as read.")
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = notification_mark_read(user=request.user)
    messages.success(request, f"{changed} marked as read." if changed else "Nothing unread.")
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    contact = Contact.objects.filter(user=request.user).first()
    mobile = contact.mobile if contact else ""
    status = 200
    error = ""
    if request.method == "POST":
        mobile = request.POST.get("mobile", "").strip()
        digits = mobile.replace(" ", "").replace("-", "")
        if mobile and not MOBILE_NUMBER.fullmatch(digits):
            if any(character.isdigit() and not character.isascii() for character in digits):
                error = "Write the mobile number with the digits 0-9, e.g. +1 617 555 0100."
            else:
                error = "Write the mobile number in international form, e.g. +1 617 555 0100."
            status = 422
        else:
            choices = {
                kind: (request.POST.get(f"{kind}-email") == "on", request.POST.get(f"{kind}-sms") == "on")
                for kind in Kind.values
            }
            if any(sms for _, sms in choices.values()) and not digits:
                error = "Add a mobile number to receive text messages."
                status = 422
            else:
                preferences_save(user=request.user, choices=choices, mobile=digits)
                messages.success(request, "Preferences saved.")
                return redirect("notifications:preferences")
    context = {
        "rows": preferences_of(request.user),
        "mobile": mobile,
        "error": error,
        "sms_available": bool(settings.SMS_WEBHOOK_URL),
        "email": request.user.email,
    }
    return render(request, "notifications/preferences.html", context, status=status)


@csrf_exempt  # signed with SECRET_KEY instead; only other Handoff processes post here
@require_POST
def hint_relay(request: HttpRequest) -> HttpResponse:
    if settings.REDIS_URL:
        raise Http404("The relay is only for the embedded setup; with Redis the channel layer carries hints.")
    if request.content_type != "application/json":
        # A form post's body has been read as a stream already (by the middleware that looks for NUL bytes), so
        # request.body would raise: refuse it before touching the body. relay.post always sends JSON.
        return HttpResponse("The relay takes signed JSON.", status=415, content_type="text/plain")
    parsed = relay.parse(request.body, request.headers.get("X-Handoff-Signature", ""))
    if parsed is None:
        return HttpResponseForbidden("bad signature or message")
    groups, message = parsed
    layer = get_channel_layer()

    async def send_all():
        for group in groups:
            await layer.group_send(group, message)

    async_to_sync(send_all)()
    return HttpResponse(status=204)
