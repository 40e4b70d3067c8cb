from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications import relay


@csrf_exempt  # signed with SECRET_KEY instead; only other Handoff processes post here
@require_POST
def hint_relay(request: HttpRequest) -> HttpResponse:
    if settings.REDIS_URL:
        raise Http404("The relay is only for the embedded setup; with Redis the channel layer carries hints.")
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
