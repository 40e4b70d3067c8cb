from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.audit import security_event_record
from accounts.lockout import lockout_release
from accounts.models import Membership, Organisation, SecurityEvent
from accounts.services import membership_sync_groups

User = get_user_model()


class ReadOnlyAdmin(admin.ModelAdmin):
    """For what is looked at in the admin and never changed there: the append-only logs, the envelopes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "all_districts", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["districts", "units"]
    autocomplete_fields = ["user"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        membership_sync_groups(user=form.instance.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        membership_sync_groups(user=user)


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    filter_horizontal = ["districts", "units"]


admin.site.unregister(User)


def _release(modeladmin, request, usernames) -> None:
    released = [
        username
        for username in sorted(set(usernames))
        if lockout_release(username=username, actor=request.user, request=request)
    ]
    if released:
        modeladmin.message_user(request, f"Released: {', '.join(released)}. They can sign in again.", messages.SUCCESS)
    else:
        modeladmin.message_user(request, "None of those accounts was locked.", messages.INFO)


@admin.register(User)
class HandoffUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    actions = ["release_lockout"]

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved: the admin redirects to the user
            user = self.get_object(request, id)
            security_event_record(
                kind=SecurityEvent.Kind.PASSWORD_CHANGED,
                request=request,
                user=user,
                actor=request.user,
                detail="set by an administrator",
            )
        return response

    @admin.action(description="Release the sign-in lockout of the selected people", permissions=["change"])
    def release_lockout(self, request, queryset):
        _release(self, request, queryset.values_list(User.USERNAME_FIELD, flat=True))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        membership_sync_groups(user=form.instance)


@admin.register(AccessAttempt)
class HandoffAccessAttemptAdmin(AccessAttemptAdmin):
    """axes' failed sign-ins; deleting them is a release, so it goes through the audited service."""

    actions = ["release_lockout"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Release the sign-in lockout of the selected usernames", permissions=["delete"])
    def release_lockout(self, request, queryset):
        _release(self, request, queryset.values_list("username", flat=True))

    def delete_model(self, request, obj):
        lockout_release(username=obj.username, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for username in set(queryset.values_list("username", flat=True)):
            lockout_release(username=username, actor=request.user, request=request)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only (and on PostgreSQL a trigger refuses changes)."""

    list_display = ["at", "kind", "username", "user", "actor", "ip_address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["user", "actor"]


admin.site.site_header = "Handoff administration"
admin.site.site_title = "Handoff admin"
