"""Admin: reference data, tables and their agencies are edited here; situations and the logs can be looked at.

The identity of affected persons (``AffectedIdentity``) is not registered at all: no administrator reads a name,
a date of birth or an address through the admin. The situation pages show it to the agencies that may read it,
through ``hub.selectors.identity_for``, which logs each read. The situation admin shows the envelope only (no
description, no persons).
"""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from hub.models import (
    AgeBand,
    ConclusionCode,
    HubAccessLog,
    Meeting,
    ProtectiveFactor,
    Reveal,
    RiskCategory,
    RiskFactor,
    Sector,
    Service,
    Situation,
    SituationEvent,
    StudyFlag,
    Table,
    TableAgency,
)


class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["label", "code", "definition"]


for model in (Sector, ProtectiveFactor, StudyFlag, Service):
    admin.site.register(model, ReferenceAdmin)


@admin.register(AgeBand)
class AgeBandAdmin(ReferenceAdmin):
    list_display = ["label", "code", "min_age", "max_age", "position", "is_active"]


class RiskFactorInline(admin.TabularInline):
    model = RiskFactor
    fields = ["code", "label", "definition", "position", "is_active"]
    extra = 0


@admin.register(RiskCategory)
class RiskCategoryAdmin(ReferenceAdmin):
    inlines = [RiskFactorInline]


@admin.register(RiskFactor)
class RiskFactorAdmin(ReferenceAdmin):
    list_display = ["label", "category", "code", "position", "is_active"]
    list_filter = ["category"]
    list_select_related = ["category"]


@admin.register(ConclusionCode)
class ConclusionCodeAdmin(ReferenceAdmin):
    list_display = ["label", "group", "code", "position", "is_active"]
    list_filter = ["group"]


class TableAgencyInline(admin.TabularInline):
    model = TableAgency
    fields = ["organisation", "sector", "sharing_agreement_on", "is_active"]
    extra = 0


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "organisation", "cadence", "reveal", "door_knock_hours", "outcome_checks"]
    list_filter = ["reveal", "district", "is_active"]
    list_select_related = ["district", "organisation"]
    inlines = [TableAgencyInline]


@admin.register(TableAgency)
class TableAgencyAdmin(admin.ModelAdmin):
    list_display = ["organisation", "table", "sector", "sharing_agreement_on", "is_active"]
    list_filter = ["table", "sector"]
    list_select_related = ["organisation", "table", "sector"]
    filter_horizontal = ["representatives"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["table", "held_on", "opened_at", "closed_at"]
    list_filter = ["table"]
    list_select_related = ["table"]
    fields = ["table", "held_on", "opened_at", "closed_at", "present"]


@admin.register(Situation)
class SituationAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "table", "state", "originating", "created_at", "decided_at", "concluded_at"]
    list_filter = ["state", "table"]
    search_fields = ["public_id"]
    list_select_related = ["table", "originating__organisation"]
    fields = [
        "public_id",
        "table",
        "state",
        "discussion_type",
        "originating",
        "created_at",
        "decided_at",
        "door_knock_due_at",
        "door_knock_done_at",
        "escalated_at",
        "conclusion",
        "concluded_at",
    ]
    readonly_fields = fields


@admin.register(SituationEvent)
class SituationEventAdmin(ReadOnlyAdmin):
    list_display = ["situation", "kind", "actor", "from_state", "to_state", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["situation", "actor"]


@admin.register(Reveal)
class RevealAdmin(ReadOnlyAdmin):
    list_display = ["situation", "agency", "revealed_by", "created_at"]
    list_select_related = ["situation", "agency__organisation", "revealed_by"]


@admin.register(HubAccessLog)
class HubAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "situation", "scope", "view", "reason"]
    list_filter = ["scope", "view"]
    search_fields = ["user__username", "situation__public_id"]
    list_select_related = ["user", "situation"]
