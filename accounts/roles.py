"""What each role may do through Django's model permissions, and where each role lands after login.

Role groups are named "Role: <label>" and kept in step with this table after every migrate. Object access
(which referrals) is decided elsewhere, by memberships and team grants; these are the coarse, per-model rights
that the admin and the views check with ``has_perm``.
"""

from __future__ import annotations

from accounts.models import Role

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OFFICER: ["programs.view_program", "referrals.add_referral"],
    Role.POLICE_SUPERVISOR: ["programs.view_program", "referrals.add_referral"],
    Role.CLINICIAN: ["programs.view_program"],
    # Part 2 records: beyond ordinary clinical access, a supervisor of the treating program's organisation reads
    # them (with the assignee); reviewing another's break-glass opening is a supervisor's too.
    Role.CLINICAL_SUPERVISOR: ["programs.view_program", "referrals.view_part2", "referrals.review_break_glass"],
    Role.WORKER: ["programs.view_program"],
    Role.WORKER_SUPERVISOR: ["programs.view_program", "referrals.view_part2", "referrals.review_break_glass"],
    Role.HUB_COORDINATOR: ["programs.view_program"],
    Role.HUB_MEMBER: [],
    Role.ANALYST: [],
    # The access log and the accountings of disclosures are the privacy office's own pages (the privacy app), gated
    # by the role itself; no model permission opens a clinical record to it.
    Role.PRIVACY_OFFICER: [],
    Role.ADMINISTRATOR: [
        f"{app}.{action}_{model}"
        for app, model in [
            ("districts", "district"),
            ("districts", "unit"),
            ("accounts", "organisation"),
            ("accounts", "membership"),
            ("accounts", "identityprovider"),
            ("accounts", "identitylink"),
            ("auth", "user"),
            ("programs", "program"),
            ("programs", "programreason"),
        ]
        for action in ("add", "change", "delete", "view")
    ]
    + ["referrals.view_referral", "referrals.view_referralevent", "referrals.view_clinicalaccesslog"]
    + ["notifications.view_outboxmessage", "notifications.change_outboxmessage"]
    + ["routing.add_route", "routing.change_route", "routing.delete_route", "routing.view_route"]
    + ["routing.add_routestep", "routing.change_routestep", "routing.delete_routestep", "routing.view_routestep"]
    + ["routing.view_shift"]
    + ["accounts.view_securityevent", "axes.view_accessattempt", "axes.delete_accessattempt"],
}

# URL names only (no imports): an app higher up the dependency chain owns each page.
ROLE_HOME_URL: dict[str, str] = {
    Role.OFFICER: "referrals:mine",
    Role.POLICE_SUPERVISOR: "referrals:mine",
    Role.CLINICIAN: "referrals:queue",
    Role.CLINICAL_SUPERVISOR: "referrals:queue",
    Role.WORKER: "accounts:role_home",
    Role.WORKER_SUPERVISOR: "accounts:role_home",
    Role.HUB_COORDINATOR: "hub:tables",
    Role.HUB_MEMBER: "hub:tables",
    Role.ANALYST: "dashboards:index",
    Role.ADMINISTRATOR: "admin:index",
    Role.PRIVACY_OFFICER: "privacy:access_log",
}


def role_group_name(role: str) -> str:
    return f"Role: {Role(role).label}"
