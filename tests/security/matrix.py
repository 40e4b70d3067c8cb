"""The expected answer of every route to every persona: the permission matrix, written out.

Read a route's entry as: ``get`` and ``post`` give the answer for the persona's *own* object (a referral it may
reach, its own notification, its organisation's shift); where the route names an object, ``missing`` gives the
answer for an object that does not exist, and the test holds every *foreign* object (another district's referral,
another partner's, another person's notification) to that same answer, with nothing changed.

A row starts from a default and lists what differs, by persona class (engine.PERSONA_CLASSES: anonymous, police,
clinical, casework, hub, analyst, privacy, admin) or by username. Answers: "200", "403", "404", "405", "422";
"302>login" (to the sign-in page), "302>admin_login", "302>admin" (the admin's index); "302" another redirect (the
page after a write). "anonymous" covers the inactive account too: its session is no session.

A route whose last segment names what it does (``<slug:action>``, ``<slug:change>``) has one entry per value asked
about, keyed ``"route_key[value]"``: ``"hub:situation_action[conclude]"``.

A new route fails test_every_route_has_an_entry until it has an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from tests.security.engine import CLASS_OF, PERSONAS

LOGIN = "302>login"
ADMIN_LOGIN = "302>admin_login"
SUPERVISORS = ("clinician.supervisor", "youth.supervisor", "trauma.supervisor")


def row(default: str, **by_class: str) -> dict[str, str]:
    """Every persona's answer: ``default``, then per class (``police="200"``). Persona exceptions: ``| {...}``."""
    unknown = set(by_class) - set(CLASS_OF.values())
    assert not unknown, f"no such persona class: {unknown}"
    return {username: by_class.get(CLASS_OF[username], default) for username in PERSONAS}


def only(answer: str, usernames, base: dict[str, str]) -> dict[str, str]:
    """``base`` with ``answer`` for the named personas."""
    return base | dict.fromkeys(usernames, answer)


@dataclass(frozen=True)
class Expect:
    get: dict[str, str]
    post: dict[str, str]
    get_missing: dict[str, str] = field(default_factory=dict)  # default: as `get`
    post_missing: dict[str, str] = field(default_factory=dict)  # default: as `post`


def everyone(get: str, post: str) -> Expect:
    return Expect(get=row(get), post=row(post))


def signed_in(get: str, post: str) -> Expect:
    """Any signed-in persona (login_required and nothing more)."""
    return Expect(get=row(get, anonymous=LOGIN), post=row(post, anonymous=LOGIN))


# --- config, accounts and django.contrib.auth's pages ---------------------------------------------------------------
ACCOUNTS = {
    # Home sends each role to its page; the superuser (no membership) to the admin.
    "home": Expect(
        get=row("302", anonymous=LOGIN, admin="302>admin"), post=row("302", anonymous=LOGIN, admin="302>admin")
    ),
    "healthz": everyone("200", "405"),  # open to load balancers, says nothing but "ok"
    "login": everyone("200", "200"),  # the POST here has no credentials: the form again
    "logout": everyone("405", LOGIN),
    "password_change": signed_in("200", "200"),
    "password_change_done": signed_in("200", "405"),
    "accounts:role_home": signed_in("200", "200"),
    # Single sign-on, open to everyone (a signed-in person may sign in again, as another): an enabled provider's
    # start sends the browser to the provider; its callback without a started sign-in is refused (400); a disabled
    # or unknown provider is not available (404). GET only.
    "accounts:sso_start": Expect(get=row("302"), post=row("405"), get_missing=row("404"), post_missing=row("405")),
    "accounts:sso_callback": Expect(get=row("400"), post=row("405"), get_missing=row("404"), post_missing=row("405")),
    "accounts:logout_everywhere": everyone("405", LOGIN),  # POST only; it ends the session asking too
    # Two-step sign-in, asked by sessions that have passed it (force_login does both steps): verify sends them on;
    # enrol sends the enrolled to their two-step page, and shows the analyst (not required, none yet) the QR code
    # (a POST with no QR code shown yet: back to the page); the two-step page makes new recovery codes, or sends
    # the analyst to enrol.
    "accounts:mfa_verify": signed_in("302", "302"),
    "accounts:mfa_enroll": Expect(get=row("302", anonymous=LOGIN, analyst="200"), post=row("302", anonymous=LOGIN)),
    "accounts:mfa_settings": Expect(get=row("200", anonymous=LOGIN), post=row("200", anonymous=LOGIN, analyst="302")),
}
# Reset by email is off unless PASSWORD_RESET_BY_EMAIL: then its four pages answer 404 to everyone.
if settings.PASSWORD_RESET_BY_EMAIL:
    ACCOUNTS |= {
        "password_reset": everyone("200", "200"),
        "password_reset_done": everyone("200", "405"),
        "password_reset_confirm": everyone("200", "200"),  # a made-up token: "the link was invalid"
        "password_reset_complete": everyone("200", "405"),
    }
else:
    ACCOUNTS |= dict.fromkeys(
        ("password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"),
        everyone("404", "404"),
    )
# Signing out, ending every session and a refused single sign-on are audited (accounts.SecurityEvent): the one row
# these routes may write, whatever they answer. So is making new recovery codes (a 200: the codes, shown once). A
# partner page refused for a referral that exists logs the refused read (referrals.ClinicalAccessLog).
REFUSED_READ = {"referrals_clinicalaccesslog"}
AUDITED = {
    "logout": {"accounts_securityevent"},
    "admin:logout": {"accounts_securityevent"},
    "accounts:sso_callback": {"accounts_securityevent"},
    "accounts:logout_everywhere": {"accounts_securityevent"},
    "accounts:mfa_settings": {"accounts_securityevent"},
    "referrals:case": REFUSED_READ,
    "referrals:case_action": REFUSED_READ,
    "referrals:disclosures": REFUSED_READ,
    "referrals:part2": REFUSED_READ,
}

# --- referrals: the officer's side (police only) and the partner's side (partner staff only) ------------------------
POLICE_ONLY = row("403", anonymous=LOGIN, police="200")
PARTNER_ONLY = row("403", anonymous=LOGIN, clinical="200", casework="200")
REFERRALS = {
    "referrals:mine": Expect(get=POLICE_ONLY, post=POLICE_ONLY),
    "referrals:new": Expect(get=POLICE_ONLY, post=POLICE_ONLY),  # the POST without a program: the chooser again
    "referrals:police_detail": Expect(
        get=POLICE_ONLY,
        post=POLICE_ONLY,
        get_missing=row("403", anonymous=LOGIN, police="404"),
        post_missing=row("403", anonymous=LOGIN, police="404"),
    ),
    # Only the filer cancels; the district's sergeant reads it but may not.
    "referrals:cancel": Expect(
        get=row("403", anonymous=LOGIN, police="405"),
        post=only("403", ["sergeant.b2"], row("403", anonymous=LOGIN, police="302")),
        get_missing=row("403", anonymous=LOGIN, police="405"),
        post_missing=row("403", anonymous=LOGIN, police="404"),
    ),
    "referrals:add_information": Expect(
        get=row("403", anonymous=LOGIN, police="405"),
        post=only("403", ["sergeant.b2"], row("403", anonymous=LOGIN, police="302")),
        get_missing=row("403", anonymous=LOGIN, police="405"),
        post_missing=row("403", anonymous=LOGIN, police="404"),
    ),
    "referrals:queue": Expect(get=PARTNER_ONLY, post=PARTNER_ONLY),
    "referrals:overdue": Expect(
        get=only("200", SUPERVISORS, row("403", anonymous=LOGIN)),
        post=only("200", SUPERVISORS, row("403", anonymous=LOGIN)),
    ),
    "referrals:case": Expect(
        get=PARTNER_ONLY,
        post=PARTNER_ONLY,
        get_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
        post_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
    ),
    # Accept (co-response) or assign (casework): the team holding the referral, or the partner's supervisor.
    "referrals:case_action": Expect(
        get=row("403", anonymous=LOGIN, clinical="405", casework="405"),
        post=row("403", anonymous=LOGIN, clinical="302", casework="302"),
        get_missing=row("403", anonymous=LOGIN, clinical="405", casework="405"),
        post_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
    ),
    # Break-glass: partner supervisors open a record outside their scope (a reason required: an empty POST is 422);
    # reviewers (the review permission: clinical and worker supervisors) list and review openings. The test world
    # has no opening, so the review route's own and foreign objects are the missing one.
    "referrals:break_glass": Expect(
        get=only("200", SUPERVISORS, row("403", anonymous=LOGIN)),
        post=only("422", SUPERVISORS, row("403", anonymous=LOGIN)),
    ),
    "referrals:break_glass_reviews": Expect(
        get=only("200", SUPERVISORS, row("403", anonymous=LOGIN)),
        post=only("200", SUPERVISORS, row("403", anonymous=LOGIN)),
    ),
    "referrals:break_glass_review": Expect(
        get=row("403", anonymous=LOGIN, clinical="405", casework="405"),
        post=row("403", anonymous=LOGIN, clinical="404", casework="404"),
    ),
    # A referral's accounting of Part 2 disclosures: only who reads Part 2 on it (its assignee, or a supervisor
    # holding the Part 2 permission); to other partner staff it does not exist.
    "referrals:disclosures": Expect(
        get=only("200", SUPERVISORS, row("403", anonymous=LOGIN, clinical="404", casework="404")),
        post=only("200", SUPERVISORS, row("403", anonymous=LOGIN, clinical="404", casework="404")),
        get_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
        post_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
    ),
    # A referral's Part 2 consents (record, revoke, disclose): the same people. The POST names no action: 400.
    "referrals:part2": Expect(
        get=only("200", SUPERVISORS, row("403", anonymous=LOGIN, clinical="404", casework="404")),
        post=only("400", SUPERVISORS, row("403", anonymous=LOGIN, clinical="404", casework="404")),
        get_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
        post_missing=row("403", anonymous=LOGIN, clinical="404", casework="404"),
    ),
}

# --- routing: rosters are kept by the partners' supervisors ----------------------------------------------------------
SUPERVISOR_ONLY = only("200", SUPERVISORS, row("403", anonymous=LOGIN))
ROUTING = {
    # The POST carries no shift: the form again, 422.
    "routing:roster": Expect(get=SUPERVISOR_ONLY, post=only("422", SUPERVISORS, SUPERVISOR_ONLY)),
    "routing:shift_remove": Expect(
        get=row("405", anonymous=LOGIN),
        post=only("302", SUPERVISORS, row("403", anonymous=LOGIN)),
        get_missing=row("405", anonymous=LOGIN),
        post_missing=only("404", SUPERVISORS, row("403", anonymous=LOGIN)),
    ),
}

# --- notifications: everyone signed in has an inbox ------------------------------------------------------------------
NOTIFICATIONS = {
    "notifications:inbox": signed_in("200", "200"),
    "notifications:bell": signed_in("200", "200"),
    # Someone else's notification, or none: "nothing to mark as read", back to the inbox, nothing changed.
    "notifications:mark_read": signed_in("405", "302"),
    "notifications:mark_all_read": signed_in("405", "302"),
    "notifications:preferences": signed_in("200", "302"),
    # Other Handoff processes post signed JSON here; a form post is refused whoever sends it.
    # With Redis the relay is not served at all (404).
    "notifications:hint_relay": everyone("405", "404" if settings.REDIS_URL else "415"),
}

# --- hub: situation tables ------------------------------------------------------------------------------------------
# The "own" table is tests/hub's B2 table (tests/security/conftest.py, _hub_world): hub.coordinator coordinates it; the
# police (BPD), housing (agency.housing) and school (agency.school) sit at it. Its situation, in intervention, was
# proposed by officer.b2 for the police; housing leads, school assists. The "foreign" table, meeting and situation
# are another Hub office's, where none of the personas sits: for everyone, "not yours" is 404, as "does not exist".
COORDINATOR = ("hub.coordinator",)
MEMBERS = ("agency.housing", "agency.school")
NOT_FOUND = row("404", anonymous=LOGIN)
POST_ONLY = row("405", anonymous=LOGIN)  # login_required first, then require_POST: whatever the object


def hub(coordinator: str, members: str, police: str = "404", *, officer_b2: str | None = None) -> dict[str, str]:
    """The answer of the table's coordinator, its agency members, the police (officers may propose to a table where
    the police sit) and, if it differs, officer.b2 (who proposed the situation); 404 for every other persona."""
    answers = row("404", anonymous=LOGIN, police=police) | dict.fromkeys(COORDINATOR, coordinator)
    answers |= dict.fromkeys(MEMBERS, members)
    return answers if officer_b2 is None else answers | {"officer.b2": officer_b2}


def hub_post(answers: dict[str, str]) -> Expect:
    """A POST-only route of an object: 405 to any GET, ``answers`` to a POST, 404 for a missing object."""
    return Expect(get=POST_ONLY, post=answers, get_missing=POST_ONLY, post_missing=NOT_FOUND)


def hub_page(answers: dict[str, str]) -> Expect:
    """A page of an object (GET and POST alike): ``answers``, and 404 for a missing object."""
    return Expect(get=answers, post=answers, get_missing=NOT_FOUND, post_missing=NOT_FOUND)


COORDINATOR_ONLY = only("200", COORDINATOR, row("403", anonymous=LOGIN))
HUB = {
    "hub:tables": signed_in("200", "200"),  # everyone has a list, empty unless a table is theirs
    "hub:escalations": Expect(get=COORDINATOR_ONLY, post=COORDINATOR_ONLY),
    "hub:table": hub_page(hub("200", "200", "200")),
    # Filter 1: the agencies at the table and the police propose; the coordinator does not. The POST without the
    # form's fields: the form again, 422.
    "hub:propose": Expect(
        get=hub("403", "200", "200"), post=hub("403", "422", "422"), get_missing=NOT_FOUND, post_missing=NOT_FOUND
    ),
    "hub:meeting_schedule": hub_post(hub("302", "403", "403")),  # no date: back to the table, nothing scheduled
    "hub:export": hub_page(hub("200", "403", "403")),
    # Meeting mode: the coordinator and the agencies sitting at the table; officers do not sit there.
    "hub:meeting": hub_page(hub("200", "200")),
    "hub:attendance": hub_post(hub("302", "403")),  # nobody ticked: attendance recorded as no one
    "hub:meeting_state[close]": hub_post(hub("302", "403")),
    "hub:meeting_state[open]": hub_post(hub("302", "403")),  # already open: nothing to do
    "hub:meeting_state[adjourn]": hub_post(hub("404", "403")),  # no such change (the coordinator is asked first)
    "hub:item_action[decide]": hub_post(hub("409", "403")),  # no choice made: refused, 409
    "hub:item_action[conclude]": hub_post(hub("422", "403")),  # no conclusion code: the form again
    # The situation: its coordinator, the agencies at the table (it is past filter 1) and its proposer.
    "hub:situation": hub_page(hub("200", "200", officer_b2="200")),
    "hub:situation_action[status_update]": hub_post(hub("302", "302", officer_b2="302")),
    "hub:situation_action[conclude]": hub_post(hub("422", "403", officer_b2="403")),
    "hub:situation_action[no-such-action]": hub_post(hub("404", "404", officer_b2="404")),
}

# --- dashboards: aggregates for everyone signed in (suppressed unless the program is the persona's own partner's);
# Community CompStat for the police, analysts and the superuser; action plans kept by the district's police
# supervisors (sergeant.b2 lands on B2: an empty plan is the form again, 422). The world has no action plan, so the
# status route's own and foreign objects are the missing one.
COMPSTAT_READERS = row("403", anonymous=LOGIN, police="200", analyst="200", admin="200")
DASHBOARDS = {
    "dashboards:index": signed_in("200", "200"),
    "dashboards:print": signed_in("200", "200"),
    "dashboards:csv": signed_in("200", "200"),
    "dashboards:compstat": Expect(
        get=COMPSTAT_READERS,
        post=only("422", ["sergeant.b2", "admin"], row("403", anonymous=LOGIN)),
    ),
    "dashboards:plan_status": Expect(
        get=row("405", anonymous=LOGIN),
        post=row("403", anonymous=LOGIN, police="404", analyst="404", admin="404"),
    ),
}

# --- privacy: the privacy officer's own pages (a role, not the admin: the superuser gets 403 too) ------------------
PRIVACY_OFFICER_ONLY = row("403", anonymous=LOGIN, privacy="200")
GET_ONLY = row("403", anonymous=LOGIN, privacy="405")
PRIVACY = {
    "privacy:access_log": Expect(get=PRIVACY_OFFICER_ONLY, post=GET_ONLY),
    "privacy:access_log_csv": Expect(get=PRIVACY_OFFICER_ONLY, post=GET_ONLY),
    "privacy:disclosures": Expect(get=PRIVACY_OFFICER_ONLY, post=GET_ONLY),
    # An export needs the person's reference: without one, the form again with the reason, 400.
    "privacy:disclosures_csv": Expect(get=row("403", anonymous=LOGIN, privacy="400"), post=GET_ONLY),
}

# --- the admin: one class of routes. Only staff get past its door; the superuser sees everything. ---------------------
ADMIN_ONLY = row(ADMIN_LOGIN, admin="200")
ADMIN_SITE = {
    "admin:index": Expect(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "admin:login": Expect(get=row("200", admin="302>admin"), post=row("200")),
    "admin:logout": Expect(get=row("302>admin", admin="405"), post=row("302>admin", admin=LOGIN)),
    "admin:password_change": Expect(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "admin:password_change_done": Expect(get=ADMIN_ONLY, post=row(ADMIN_LOGIN, admin="405")),
    "admin:autocomplete": Expect(get=row(ADMIN_LOGIN, admin="403"), post=row(ADMIN_LOGIN, admin="405")),
    "admin:jsi18n": Expect(get=ADMIN_ONLY, post=row(ADMIN_LOGIN, admin="405")),
    "admin:view_on_site": Expect(get=row(ADMIN_LOGIN, admin="404"), post=row(ADMIN_LOGIN, admin="404")),
    "admin:app_list": Expect(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "admin/(?P<url>.*)$": Expect(get=row(ADMIN_LOGIN, admin="404"), post=row(ADMIN_LOGIN, admin="404")),
}

# Every model registered in the admin, with the views its ModelAdmin closes even to the superuser: logs and
# referrals are written by services, so the admin only reads them ("change:post" closed: the change page is a
# read-only view).
LOG = ("add", "delete", "change:post")
ADMIN_MODELS: dict[str, tuple[str, ...]] = {
    "accounts.membership": (),
    "accounts.organisation": (),
    "accounts.identityprovider": (),
    "accounts.identitylink": ("change:post",),  # a link is made or removed, never repointed
    # The security log is append-only; axes' failed sign-ins are read and deleted (a release), never added.
    "accounts.securityevent": LOG,
    "axes.accessattempt": ("add", "change:post>302"),
    "auth.group": (),
    "auth.user": (),
    "districts.district": (),
    "districts.unit": (),
    "notifications.deliverypreference": (),
    # A failed message is retried from its page (all its fields read-only: an empty save goes back to the list).
    "notifications.outboxmessage": ("add", "delete", "change:post>302"),
    "programs.program": (),
    "referrals.clinicalaccesslog": LOG,
    "referrals.referral": LOG,
    "referrals.referralevent": LOG,
    "routing.route": (),
    "routing.shift": (),
    # hub: reference data, tables and their agencies are edited; meetings, situations and the logs only read (the
    # affected persons' identity is not registered at all).
    "hub.ageband": (),
    "hub.conclusioncode": (),
    "hub.protectivefactor": (),
    "hub.riskcategory": (),
    "hub.riskfactor": (),
    "hub.sector": (),
    "hub.service": (),
    "hub.studyflag": (),
    "hub.table": (),
    "hub.tableagency": (),
    "hub.hubaccesslog": LOG,
    "hub.meeting": LOG,
    "hub.reveal": LOG,
    "hub.situation": LOG,
    "hub.situationevent": LOG,
}


def admin_model_expect(view: str, closed: tuple[str, ...]) -> Expect:
    """A ModelAdmin's view ("changelist", "add", "change", "delete", "history", "password" or "redirect"): staff
    only. A missing object sends the superuser back to the admin's index (the password form: 404); a closed view
    answers 403 before it looks for the object."""

    def superuser(method: str, missing: bool) -> str:
        answer = next((c.split(">", 1)[1] for c in closed if c.startswith(f"{view}:{method}>")), None)
        if answer and not missing:
            return answer
        if view in closed or f"{view}:{method}" in closed:
            return "403"
        if view == "redirect":
            return "302"
        if missing and view not in ("changelist", "add"):
            return "404" if view == "password" else "302>admin"
        return "200"

    return Expect(
        get=row(ADMIN_LOGIN, admin=superuser("get", False)),
        post=row(ADMIN_LOGIN, admin=superuser("post", False)),
        get_missing=row(ADMIN_LOGIN, admin=superuser("get", True)),
        post_missing=row(ADMIN_LOGIN, admin=superuser("post", True)),
    )


GROUPS = {
    "accounts": ACCOUNTS,
    "referrals": REFERRALS,
    "routing": ROUTING,
    "notifications": NOTIFICATIONS,
    "hub": HUB,
    "dashboards": DASHBOARDS,
    "privacy": PRIVACY,
    "admin": ADMIN_SITE,
}
