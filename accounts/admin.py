from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import security_event_record
from accounts.lockout import lockout_release
from accounts.models import PRIVILEGED_FIELDS, IdentityLink, IdentityProvider, Membership, Organisation, SecurityEvent
from accounts.oidc import DISCOVERY_FIELDS, OidcError, discover
from accounts.services import (
    GrantRefused,
    membership_grant_confirm,
    membership_grant_record,
    membership_grant_refuse,
    membership_sync_groups,
    mfa_devices_reset,
)

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


GRANT_FIELDS = ["pending", "granted_by", "granted_at", "confirmed_by", "confirmed_at"]
PENDING_MESSAGE = "{membership} waits for a second administrator to confirm it; until then it opens nothing."


def _grant_recorded(request, membership: Membership, changed) -> bool:
    """After the admin saved a membership: a privileged grant waits for a second administrator."""
    pending = membership_grant_record(membership=membership, actor=request.user, changed=changed, request=request)
    if pending:
        messages.warning(request, PENDING_MESSAGE.format(membership=membership))
    return pending


def _decide(modeladmin, request, queryset, decide, done: str) -> None:
    decided = []
    for membership in queryset.select_related("user", "organisation"):
        try:
            decide(membership=membership, actor=request.user, request=request)
        except GrantRefused as refusal:
            modeladmin.message_user(request, f"{membership}: {refusal}", messages.ERROR)
        else:
            decided.append(str(membership))
    if decided:
        modeladmin.message_user(request, f"{done}: {'; '.join(decided)}.", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """A clinical, partner, Hub or privacy-officer membership saved here waits for a second administrator, who
    confirms or refuses it with this page's actions (accounts.services.membership_grant_*)."""

    list_display = ["user", "organisation", "role", "all_districts", "is_active", *GRANT_FIELDS[:2], "confirmed_by"]
    list_filter = ["pending", "role", "organisation", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["districts", "units"]
    autocomplete_fields = ["user"]
    readonly_fields = GRANT_FIELDS
    list_select_related = ["user", "organisation", "granted_by", "confirmed_by"]
    actions = ["confirm_grants", "refuse_grants"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _grant_recorded(request, form.instance, form.changed_data if change else PRIVILEGED_FIELDS)
        membership_sync_groups(user=form.instance.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        membership_sync_groups(user=user)

    @admin.action(description="Confirm the selected grants (a second administrator)", permissions=["change"])
    def confirm_grants(self, request, queryset):
        _decide(self, request, queryset, membership_grant_confirm, "Confirmed")

    @admin.action(description="Refuse the selected grants", permissions=["change"])
    def refuse_grants(self, request, queryset):
        _decide(self, request, queryset, membership_grant_refuse, "Refused")


class MembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    extra = 0
    filter_horizontal = ["districts", "units"]
    readonly_fields = GRANT_FIELDS


admin.site.unregister(User)
# django-otp's own device admins show and edit secret keys; devices are reset through the audited user action below.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


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
    actions = ["release_lockout", "reset_two_step"]

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

    @admin.action(
        description="Reset two-step sign-in of the selected people (a lost phone): they set it up again",
        permissions=["change"],
    )
    def reset_two_step(self, request, queryset):
        people = list(queryset.order_by(User.USERNAME_FIELD))
        for person in people:
            mfa_devices_reset(user=person, actor=request.user, request=request)
        names = ", ".join(person.get_username() for person in people)
        self.message_user(
            request, f"Two-step sign-in reset: {names}. They set it up again at their next sign-in.", messages.SUCCESS
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.model is not Membership:
                continue
            for membership in formset.new_objects:
                _grant_recorded(request, membership, PRIVILEGED_FIELDS)
            for membership, changed in formset.changed_objects:
                _grant_recorded(request, membership, changed)
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


def _https_by_default(db_field, **kwargs):
    # An address typed without a scheme is https (Django 6's default; 5.2 warns unless told).
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class IdentityProviderForm(forms.ModelForm):
    """The client secret is write-only: never rendered back; left empty on a change, the stored one stays.
    Endpoints left empty are read from the issuer's discovery document when the form is saved."""

    client_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=IdentityProvider._meta.get_field("client_secret").max_length,
        help_text="Write-only: never shown again. Leave empty to keep the stored secret.",
    )

    class Meta:
        model = IdentityProvider
        formfield_callback = _https_by_default
        fields = [
            "name",
            "slug",
            "organisation",
            "issuer",
            "client_id",
            "client_secret",
            "signing_algorithm",
            "enforces_mfa",
            "is_enabled",
            *DISCOVERY_FIELDS,
        ]

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data.get("client_secret") or ""
        if secret:
            return secret
        if self.instance.pk and self.instance.client_secret:
            return self.instance.client_secret
        raise forms.ValidationError("The client secret the provider issued for Handoff is required.")

    def clean(self):
        cleaned = super().clean()
        issuer = cleaned.get("issuer")
        missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not cleaned.get(name)]
        if issuer and missing and not self.errors:
            try:
                found = discover(issuer)
            except OidcError as exc:
                raise forms.ValidationError(
                    f"Fill in the endpoints, or fix the issuer: {exc}.", code="discovery"
                ) from None
            for name in DISCOVERY_FIELDS:
                if not cleaned.get(name):
                    cleaned[name] = found[name]
        return cleaned


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "slug", "organisation", "enforces_mfa", "is_enabled"]
    list_filter = ["is_enabled", "enforces_mfa"]
    search_fields = ["name", "slug"]
    readonly_fields = ["redirect_uri"]

    @admin.display(description="Redirect URI to register at the provider")
    def redirect_uri(self, obj) -> str:
        slug = obj.slug if obj is not None and obj.pk else "<slug>"
        return f"{settings.PUBLIC_BASE_URL}/accounts/sso/{slug}/callback/"


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    """An administrator links a provider's subject to an account before its first sign-in (or unlinks it); audited."""

    list_display = ["user", "provider", "subject", "method", "linked_at"]
    list_filter = ["provider", "method"]
    search_fields = ["user__username", "subject"]
    # Not autocomplete: its widget looks a posted non-number up as an id when it renders the form again (a 500,
    # found by the fuzz); the raw id widget shows the form's error instead.
    raw_id_fields = ["user"]
    list_select_related = ["user", "provider"]
    fields = ["provider", "subject", "user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a link is made or removed, never repointed

    def save_model(self, request, obj, form, change):
        obj.method = IdentityLink.Method.ADMINISTRATOR
        super().save_model(request, obj, form, change)
        security_event_record(
            kind=SecurityEvent.Kind.SSO_LINKED,
            request=request,
            user=obj.user,
            actor=request.user,
            detail=f"{obj.provider.name}, subject {obj.subject}, by an administrator",
        )

    def delete_model(self, request, obj):
        self._unlinked(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for link in queryset.select_related("user", "provider"):
            self._unlinked(request, link)
        super().delete_queryset(request, queryset)

    def _unlinked(self, request, link) -> None:
        security_event_record(
            kind=SecurityEvent.Kind.SSO_UNLINKED,
            request=request,
            user=link.user,
            actor=request.user,
            detail=f"{link.provider.name}, subject {link.subject}",
        )


admin.site.site_header = "Handoff administration"
admin.site.site_title = "Handoff admin"
