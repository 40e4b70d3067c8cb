"""What the two workflows' state machines (tests/referrals/ and tests/casework/test_state_machine_hypothesis.py)
share: the invariants that read only the envelope, its events and the police pages, and how a test runs one."""

from __future__ import annotations

from unittest import mock

from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test

from accounts.models import Team
from notifications import hints
from notifications.models import Notification
from referrals.models import PoliceStatus, Referral, ReferralEvent
from referrals.selectors import police_timeline, referrals_for_police

POLICE = ["officer.b2", "sergeant.b2"]  # the police personas whose pages the machines fetch


def team_key(team: Team) -> str:
    return team.district.code if team.district_id else team.kind


class ReferralMachine(RuleBasedStateMachine):
    """A workflow's machine subclasses it with its tables (``status_rank``, ``final_statuses``,
    ``police_visible_kinds``, and ``labels``: partner-side words police must never see) and keeps ``cases`` (each
    with ``referral``, ``statuses_seen`` and ``expected``), ``secrets``, ``dirty``, ``checks`` and
    ``notifications_checked``. The test subclasses that with ``personas`` (username → user), ``clients``
    (signed-in test clients of the police personas), ``capture`` (runs on_commit callbacks) and ``sent`` (every
    hint sent, as (groups, message), filled by a patched ``notifications.hints._send``): see ``run_machine``."""

    personas: dict
    clients: dict[str, Client]
    capture: object
    sent: list[tuple[list[str], dict]]

    status_rank: dict[str, int]
    final_statuses: set[str]
    police_visible_kinds: frozenset[str]
    labels: list[str]

    @invariant()
    def police_status_never_moves_backwards(self):
        rows = Referral.objects.filter(pk__in=[c.referral.pk for c in self.cases])
        statuses = dict(rows.values_list("pk", "police_status"))
        for case in self.cases:
            status = statuses[case.referral.pk]
            if case.statuses_seen:
                last = case.statuses_seen[-1]
                assert self.status_rank[status] >= self.status_rank[last], (last, status)
                # A final status stays, whatever ends the referral afterwards (a re-route, a withdrawal of consent).
                assert last not in self.final_statuses or status == last, (last, status)
            case.statuses_seen.append(status)

    @invariant()
    def event_logs_match_the_calls_carried_out(self):
        events = list(
            ReferralEvent.objects.filter(referral__in=[c.referral.pk for c in self.cases]).order_by("created_at", "pk")
        )
        for case in self.cases:
            log = [e for e in events if e.referral_id == case.referral.pk]
            assert [(e.kind, e.to_state) for e in log] == case.expected
            assert all(e.police_visible == (e.kind in self.police_visible_kinds) for e in log)
            state = None
            for row in log:
                # A transition leaves the state the previous one ended in; any other event records the state as is.
                if row.from_state:
                    assert row.from_state == state
                if row.to_state:
                    assert row.from_state or state is None or row.to_state == state
                    state = row.to_state

    @invariant()
    def police_never_see_partner_data(self):
        """Police selectors and pages carry nothing the partner side wrote or chose: names, contact details,
        circumstances, notes, dispositions, goals, consent, tiers.

        A detail page shows one referral, so the detail pages of the referrals that changed are enough; both roles
        fetch them, one as the full page and one as the htmx partial, swapping every step. The list is the costly
        page: both roles fetch it after filing, then each every other step, alternately full and partial."""
        for username in POLICE:
            rows = list(referrals_for_police(user=self.personas[username]).values())
            assert {c.referral.pk for c in self.cases} <= {row["id"] for row in rows}
            self._assert_no_secret(repr(rows))
        for index in self.dirty:
            timeline = list(police_timeline(self.cases[index].referral).values())
            assert all(row["police_visible"] for row in timeline)
            self._assert_no_secret(repr(timeline))
        self.checks += 1
        for role, username in enumerate(POLICE):
            pages = []  # (url, public ids it must show, the police status it must name, as htmx)
            if self.checks == 1 or (self.checks + role) % 2 == 0:
                public_ids = [c.referral.public_id for c in self.cases]
                pages.append((reverse("referrals:mine"), public_ids, None, (self.checks + role) // 2 % 2 == 0))
            for number, index in enumerate(sorted(self.dirty)):
                case = self.cases[index]
                url = reverse("referrals:police_detail", args=[case.referral.public_id])
                status = PoliceStatus(case.police_status).label
                pages.append((url, [case.referral.public_id], status, (number + self.checks + role) % 2 == 0))
            for url, public_ids, status, htmx in pages:
                response = self.clients[username].get(url, headers={"HX-Request": "true"} if htmx else {})
                assert response.status_code == 200
                page = response.content.decode()
                assert ("<html" in page) is not htmx
                assert all(public_id in page for public_id in public_ids)
                assert status is None or status in page
                self._assert_no_secret(page)
        self.dirty.clear()

    @invariant()
    def notifications_carry_no_partner_data(self):
        new = Notification.objects.filter(pk__gt=self.notifications_checked).order_by("pk")
        for pk, text, url in new.values_list("pk", "text", "url"):
            self._assert_no_secret(f"{text} {url}")
            self.notifications_checked = pk

    def _assert_no_secret(self, text: str) -> None:
        leaked = [secret for secret in [*self.secrets, *self.labels] if secret in text]
        assert leaked == []


def run_machine(machine: type[ReferralMachine], *, personas, capture, stateful_step_count: int) -> None:
    """Run ``machine`` as a test with the police personas signed in and every hint recorded."""
    clients = {}
    for username in POLICE:
        clients[username] = Client()
        clients[username].force_login(personas[username])
    sent: list[tuple[list[str], dict]] = []
    machine = type(
        "Machine",
        (machine,),
        {"personas": personas, "clients": clients, "capture": staticmethod(capture), "sent": sent},
    )

    def record(groups, message):
        sent.append((list(groups), dict(message)))

    with mock.patch.object(hints, "_send", record):
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=25,
                stateful_step_count=stateful_step_count,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
