"""Admin: referral envelopes and the append-only logs can be looked at, never changed.

The subject and the workflows' clinical records are not registered: no administrator reads clinical details
through the admin.
"""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from referrals.models import ClinicalAccessLog, Referral, ReferralEvent


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "program", "district", "police_status", "phase", "urgency", "created_at"]
    list_filter = ["phase", "police_status", "program", "district"]
    search_fields = ["public_id", "cad_incident_number"]
    list_select_related = ["program", "district"]
    fields = [
        "public_id",
        "program",
        "workflow",
        "district",
        "team",
        "police_status",
        "phase",
        "urgency",
        "officer",
        "assignee",
        "created_at",
        "accepted_at",
        "ended_at",
        "due_at",
    ]
    readonly_fields = fields


@admin.register(ReferralEvent)
class ReferralEventAdmin(ReadOnlyAdmin):
    list_display = ["referral", "kind", "actor", "from_state", "to_state", "police_visible", "created_at"]
    list_filter = ["kind", "police_visible"]
    list_select_related = ["referral", "actor"]


@admin.register(ClinicalAccessLog)
class ClinicalAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "referral", "view", "reason"]
    list_filter = ["view"]
    search_fields = ["user__username", "referral__public_id"]
    list_select_related = ["user", "referral"]
