from django.contrib import admin

from notifications.models import DeliveryPreference, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Failed deliveries are here for administrators to see; a message is never edited, only retried."""

    list_display = ["created_at", "channel", "recipient", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["recipient"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        from django.utils import timezone

        changed = queryset.filter(status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING]).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{changed} message(s) will be retried within a minute.")


@admin.register(DeliveryPreference)
class DeliveryPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email", "sms"]
    list_filter = ["kind"]
