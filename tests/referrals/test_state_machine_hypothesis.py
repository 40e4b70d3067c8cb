"""Random sequences of co-response actions by random people; after every step the invariants hold.

Each example files fresh requests as officer.b2, one per state the services can reach, and takes each to its state
through the services. Rules then call a service on one of them with an actor drawn from officer.b2, sergeant.b2,
clinician.b2, clinician.c11 and clinician.supervisor. A refused call must leave every row as it was; a call carried
out must start from a state the workflow allows and write exactly the event the machine expects.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from districts.models import District
from notifications.models import Notification
from referrals import services
from referrals.models import (
    ACTIVE_STATES,
    OPEN_STATES,
    WAITING_STATES,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
    PoliceStatus,
    Program,
    Referral,
    ReferralEvent,
    Section12By,
    Section12Kind,
    Urgency,
)
from referrals.selectors import police_timeline, referrals_for_police
from tests.referrals.services import snapshot

S = CoResponseState
Kind = ReferralEvent.Kind
POLICE = ["officer.b2", "sergeant.b2"]
ACTORS = st.sampled_from(["officer.b2", "sergeant.b2", "clinician.b2", "clinician.c11", "clinician.supervisor"])
CLINICIANS = st.sampled_from(["clinician.b2", "clinician.c11", "clinician.supervisor"])
# Half the time the clinician who holds the request acts: random people alone rarely take a call past "accepted".
ASSIGNEE = "assignee"
ASSIGNEE_OR_ANYONE = st.one_of(st.just(ASSIGNEE), ACTORS)

# The states each service may start from, as the design's co-response workflow describes them.
ALLOWED_FROM = {
    Kind.ACCEPTED: set(WAITING_STATES),
    Kind.DECLINED: set(WAITING_STATES),
    Kind.CANCELLED: set(WAITING_STATES),
    Kind.ESCALATED: set(WAITING_STATES),
    Kind.TRANSFERRED: {*WAITING_STATES, S.ACCEPTED},
    Kind.EN_ROUTE: {S.ACCEPTED},
    Kind.ON_SCENE: {S.ACCEPTED, S.EN_ROUTE},
    Kind.DISPOSITION: set(ACTIVE_STATES),
    Kind.NOTE: set(S.values) - {S.CANCELLED, S.DECLINED},
    Kind.FOLLOW_UP_ADDED: {*ACTIVE_STATES, S.FOLLOW_UP},
    Kind.FOLLOW_UP_DONE: set(S.values),
    Kind.FOLLOW_UP: set(ACTIVE_STATES),
    Kind.CLOSED: {*ACTIVE_STATES, S.FOLLOW_UP},
    Kind.REASSIGNED: {*ACTIVE_STATES, S.FOLLOW_UP},
    Kind.INFO_ADDED: set(OPEN_STATES),
}
TARGET = {
    Kind.ACCEPTED: S.ACCEPTED,
    Kind.DECLINED: S.DECLINED,
    Kind.CANCELLED: S.CANCELLED,
    Kind.ESCALATED: S.ESCALATED,
    Kind.TRANSFERRED: S.TRANSFERRED,
    Kind.EN_ROUTE: S.EN_ROUTE,
    Kind.ON_SCENE: S.ON_SCENE,
    Kind.FOLLOW_UP: S.FOLLOW_UP,
    Kind.CLOSED: S.CLOSED,
}

# How the initialize step takes case ``i`` to its starting state: rules of the machine, with the right actors.
START_PATHS = {
    S.REQUESTED: [],
    S.ESCALATED: [lambda m, i: m.escalate(i, late=True)],
    S.ACCEPTED: [lambda m, i: m.accept(i, "clinician.b2")],
    S.EN_ROUTE: [lambda m, i: m.accept(i, "clinician.b2"), lambda m, i: m.depart(i, ASSIGNEE, 12)],
    S.ON_SCENE: [lambda m, i: m.accept(i, "clinician.b2"), lambda m, i: m.arrive(i, ASSIGNEE)],
    S.FOLLOW_UP: [
        lambda m, i: m.accept(i, "clinician.b2"),
        lambda m, i: m.record_disposition(i, ASSIGNEE, Disposition.REFERRED, "", ""),
        lambda m, i: m.add_follow_up(i, ASSIGNEE, FollowUp.Kind.PHONE_CALL),
        lambda m, i: m.finish(i, ASSIGNEE),
    ],
    S.CLOSED: [
        lambda m, i: m.accept(i, "clinician.b2"),
        lambda m, i: m.record_disposition(i, ASSIGNEE, Disposition.STABILISED, "", ""),
        lambda m, i: m.finish(i, ASSIGNEE),
    ],
    S.DECLINED: [lambda m, i: m.decline(i, "clinician.b2", DeclineReason.SAFETY)],
    S.CANCELLED: [lambda m, i: m.cancel(i, "officer.b2")],
    S.TRANSFERRED: [lambda m, i: m.transfer(i, "clinician.supervisor", "C11", with_reason=True)],
}
START_STATES = list(START_PATHS)
CASES = st.integers(min_value=0, max_value=len(START_STATES) - 1)


@dataclass
class Case:
    """One request and what the machine expects of it."""

    referral: Referral
    state: str = S.REQUESTED
    accepted_by: str | None = None
    follow_ups: dict[int, bool] = field(default_factory=dict)  # pk → done
    expected: list[tuple[str, str]] = field(
        default_factory=lambda: [(Kind.FILED, S.REQUESTED), (Kind.ROUTED, S.REQUESTED)]
    )


class CoResponseMachine(RuleBasedStateMachine):
    """The test below subclasses it with ``personas`` (username → user) and ``clients`` (signed-in test clients
    of the police personas)."""

    personas: dict
    clients: dict[str, Client]

    # --- set-up -----------------------------------------------------------------------------------------------

    @initialize()
    def file_one_request_per_state(self):
        self.cases: list[Case] = []
        self.secrets: list[str] = []  # every clinical or identifying text this example wrote
        self.dirty: set[int] = set()  # cases changed since the police pages were last checked
        self.checks = 0
        self.notifications_checked = Notification.objects.order_by("pk").values_list("pk", flat=True).last() or 0
        for index, start in enumerate(START_STATES):
            self.cases.append(Case(referral=self._file()))
            for step in START_PATHS[start]:
                step(self, index)
            assert self.cases[index].state == start
        self.dirty = set(range(len(self.cases)))

    def _file(self) -> Referral:
        token = uuid.uuid4().hex[:10]
        name, circumstances = f"Quinn Subject{token}", f"Standing on the bridge rail, circumstances{token}"
        self.secrets.extend([name, circumstances])
        referral, created = services.referral_file(
            new=services.NewReferral(
                program=Program.objects.get(slug="co-response"),
                district=District.objects.get(code="B2"),
                urgency=Urgency.ON_SCENE_NOW,
                idempotency_key=uuid.uuid4(),
                location_text="Dudley Sq bus station",
                reason_codes=["suicidal"],
                subject_name=name,
                circumstances=circumstances,
            ),
            officer=self.personas["officer.b2"],
            officer_district=District.objects.get(code="B2"),
        )
        assert created
        return referral

    # --- running one service ----------------------------------------------------------------------------------

    def _attempt(self, case: Case, kind: str, call):
        """Call a service. Refused: nothing changed. Carried out: it started from an allowed state."""
        before = snapshot(case.referral)
        try:
            result = call()
        except services.ReferralError as error:
            assert str(error)
            assert snapshot(case.referral) == before
            return None
        assert case.state in ALLOWED_FROM[kind], f"{kind} carried out from {case.state}"
        case.state = TARGET.get(kind, case.state)
        case.expected.append((kind, case.state))
        case.referral = Referral.objects.get(pk=case.referral.pk)
        self.dirty.add(self.cases.index(case))
        return result

    def _user(self, username: str):
        return self.personas[username]

    def _who(self, case: Case, actor: str) -> str:
        return (case.accepted_by or "clinician.b2") if actor == ASSIGNEE else actor

    def _secret(self, text: str) -> str:
        text = f"{text} {uuid.uuid4().hex[:10]}"
        self.secrets.append(text)
        return text

    # --- officer ----------------------------------------------------------------------------------------------

    @rule(i=CASES, actor=ACTORS)
    def cancel(self, i, actor):
        case = self.cases[i]

        def call():
            return services.referral_cancel(referral=case.referral, actor=self._user(actor))

        if self._attempt(case, Kind.CANCELLED, call):
            assert actor == "officer.b2"

    @rule(i=CASES, actor=ACTORS)
    def add_information(self, i, actor):
        case, text = self.cases[i], self._secret("Sister says he stopped his medication")

        def call():
            return services.referral_add_information(referral=case.referral, actor=self._user(actor), text=text)

        if self._attempt(case, Kind.INFO_ADDED, call):
            assert actor == "officer.b2"

    # --- clinician --------------------------------------------------------------------------------------------

    @rule(i=CASES, actor=st.one_of(CLINICIANS, ACTORS))
    def accept(self, i, actor):
        case = self.cases[i]

        def call():
            return services.referral_accept(referral=case.referral, actor=self._user(actor))

        if self._attempt(case, Kind.ACCEPTED, call):
            case.accepted_by = actor

    @rule(i=CASES, actor=ACTORS, reason=st.sampled_from(DeclineReason.values))
    def decline(self, i, actor, reason):
        case = self.cases[i]

        def call():
            return services.referral_decline(referral=case.referral, actor=self._user(actor), reason=reason)

        self._attempt(case, Kind.DECLINED, call)

    @rule(i=CASES, actor=ASSIGNEE_OR_ANYONE, eta_minutes=st.integers(min_value=-1, max_value=241))
    def depart(self, i, actor, eta_minutes):
        case = self.cases[i]
        actor = self._who(case, actor)

        def call():
            return services.referral_depart(referral=case.referral, actor=self._user(actor), eta_minutes=eta_minutes)

        if self._attempt(case, Kind.EN_ROUTE, call):
            assert actor == case.accepted_by
            assert 1 <= eta_minutes <= 240

    @rule(i=CASES, actor=ASSIGNEE_OR_ANYONE)
    def arrive(self, i, actor):
        case = self.cases[i]
        actor = self._who(case, actor)

        def call():
            return services.referral_arrive(referral=case.referral, actor=self._user(actor))

        if self._attempt(case, Kind.ON_SCENE, call):
            assert actor == case.accepted_by

    @rule(
        i=CASES,
        actor=ASSIGNEE_OR_ANYONE,
        disposition=st.sampled_from(Disposition.values),
        section12_by=st.sampled_from(["", *Section12By.values]),
        section12_kind=st.sampled_from(["", *Section12Kind.values]),
    )
    def record_disposition(self, i, actor, disposition, section12_by, section12_kind):
        case = self.cases[i]
        actor = self._who(case, actor)

        def call():
            return services.clinical_disposition_record(
                referral=case.referral,
                actor=self._user(actor),
                disposition=disposition,
                section12_by=section12_by,
                section12_kind=section12_kind,
            )

        if self._attempt(case, Kind.DISPOSITION, call):
            assert actor == case.accepted_by
            assert disposition != Disposition.ED_SECTION_12 or (section12_by and section12_kind)

    @rule(i=CASES, actor=ASSIGNEE_OR_ANYONE, part2=st.booleans())
    def add_note(self, i, actor, part2):
        case, text = self.cases[i], self._secret("Assessed; safety plan agreed")
        actor = self._who(case, actor)

        def call():
            return services.clinical_note_add(referral=case.referral, actor=self._user(actor), text=text, part2=part2)

        self._attempt(case, Kind.NOTE, call)

    @rule(i=CASES, actor=ASSIGNEE_OR_ANYONE, kind=st.sampled_from(FollowUp.Kind.values))
    def add_follow_up(self, i, actor, kind):
        case = self.cases[i]
        actor = self._who(case, actor)
        due_at = timezone.now() + timedelta(days=1)

        def call():
            return services.follow_up_add(referral=case.referral, actor=self._user(actor), kind=kind, due_at=due_at)

        follow_up = self._attempt(case, Kind.FOLLOW_UP_ADDED, call)
        if follow_up:
            case.follow_ups[follow_up.pk] = False

    @precondition(lambda self: any(case.follow_ups for case in self.cases))
    @rule(data=st.data(), actor=ASSIGNEE_OR_ANYONE, outcome=st.sampled_from(FollowUp.Outcome.values))
    def complete_follow_up(self, data, actor, outcome):
        case = data.draw(st.sampled_from([case for case in self.cases if case.follow_ups]))
        pk = data.draw(st.sampled_from(sorted(case.follow_ups)))
        actor = self._who(case, actor)
        follow_up = FollowUp.objects.get(pk=pk)

        def call():
            return services.follow_up_complete(follow_up=follow_up, actor=self._user(actor), outcome=outcome)

        was_done = case.follow_ups[pk]
        if self._attempt(case, Kind.FOLLOW_UP_DONE, call):
            assert not was_done
            case.follow_ups[pk] = True

    @rule(i=CASES, actor=ASSIGNEE_OR_ANYONE)
    def finish(self, i, actor):
        case = self.cases[i]
        actor = self._who(case, actor)
        open_follow_ups = not all(case.follow_ups.values())
        kind = Kind.FOLLOW_UP if open_follow_ups and case.state != S.FOLLOW_UP else Kind.CLOSED

        def call():
            return services.referral_finish(referral=case.referral, actor=self._user(actor))

        if self._attempt(case, kind, call):
            assert actor == case.accepted_by
            assert not (kind == Kind.CLOSED and open_follow_ups)

    # --- supervisor -------------------------------------------------------------------------------------------

    @rule(i=CASES, actor=ACTORS, clinician=CLINICIANS, with_reason=st.booleans())
    def reassign(self, i, actor, clinician, with_reason):
        case = self.cases[i]
        reason = self._secret("Shift change") if with_reason else ""

        def call():
            return services.referral_reassign(
                referral=case.referral, actor=self._user(actor), clinician=self._user(clinician), reason=reason
            )

        if self._attempt(case, Kind.REASSIGNED, call):
            assert with_reason and clinician != case.accepted_by
            case.accepted_by = clinician

    @rule(i=CASES, actor=ACTORS, district=st.sampled_from(["B2", "C11", "D4"]), with_reason=st.booleans())
    def transfer(self, i, actor, district, with_reason):
        case = self.cases[i]
        reason = self._secret("Nearest free clinician") if with_reason else ""
        queue_district = case.referral.team.district.code if case.referral.team.district else None

        def call():
            return services.referral_transfer(
                referral=case.referral,
                actor=self._user(actor),
                district=District.objects.get(code=district),
                reason=reason,
            )

        if self._attempt(case, Kind.TRANSFERRED, call):
            # The supervisors' queue (after an escalation) has no district: any district's queue is another one.
            assert with_reason and district != queue_district
            case.accepted_by = None

    # --- the deadline sweep ------------------------------------------------------------------------------------

    @rule(i=CASES, late=st.booleans())
    def escalate(self, i, late):
        case = self.cases[i]
        due = Referral.objects.get(pk=case.referral.pk).acceptance_due_at
        if due is None:
            now = timezone.now() + timedelta(days=1)
        else:
            now = due + timedelta(seconds=1) if late else due - timedelta(seconds=1)
        before = snapshot(case.referral)

        escalated = services.referral_escalate_if_due(referral_id=case.referral.pk, now=now)

        assert escalated == (late and due is not None and case.state in ALLOWED_FROM[Kind.ESCALATED])
        if not escalated:
            assert snapshot(case.referral) == before
            return
        case.state = S.ESCALATED
        case.expected += [(Kind.ESCALATED, S.ESCALATED), (Kind.ROUTED, S.ESCALATED)]
        case.referral = Referral.objects.get(pk=case.referral.pk)
        self.dirty.add(i)

    # --- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def states_are_defined_and_as_expected(self):
        referrals = Referral.objects.select_related("accepted_by").in_bulk([c.referral.pk for c in self.cases])
        for case in self.cases:
            referral = referrals[case.referral.pk]
            assert referral.state in S.values
            assert referral.state == case.state
            assert referral.police_status in PoliceStatus.values
            assert (referral.accepted_by.username if referral.accepted_by else None) == case.accepted_by

    @invariant()
    def event_logs_match_the_calls_carried_out(self):
        events = list(
            ReferralEvent.objects.filter(referral__in=[c.referral.pk for c in self.cases]).order_by("created_at", "pk")
        )
        for case in self.cases:
            log = [e for e in events if e.referral_id == case.referral.pk]
            assert [(e.kind, e.to_state) for e in log] == case.expected
            for previous, current in itertools.pairwise(log):
                # A transition leaves the state the previous event ended in; any other event leaves it unchanged.
                if current.from_state:
                    assert current.from_state == previous.to_state
                else:
                    assert current.to_state == previous.to_state

    @invariant()
    def police_never_see_clinical_data(self):
        """Police selectors and pages carry no name, circumstances, note text or disposition.

        A detail page shows one request, so the detail pages of the requests that changed are enough; both roles
        fetch them, one as the full page and one as the htmx partial, swapping every step. The list is the costly
        page: both roles fetch it after filing, then each every other step, alternately full and partial."""
        for username in POLICE:
            rows = list(referrals_for_police(user=self._user(username)).values())
            assert {c.referral.pk for c in self.cases} <= {row["id"] for row in rows}
            self._assert_no_secret(repr(rows))
        for index in self.dirty:
            timeline = list(police_timeline(self.cases[index].referral).values())
            assert all(row["police_visible"] for row in timeline)
            self._assert_no_secret(repr(timeline))
        self.checks += 1
        for role, username in enumerate(POLICE):
            pages = []  # (url, public ids it must show, as htmx)
            if self.checks == 1 or (self.checks + role) % 2 == 0:
                public_ids = [c.referral.public_id for c in self.cases]
                pages.append((reverse("referrals:mine"), public_ids, (self.checks + role) // 2 % 2 == 0))
            for number, index in enumerate(sorted(self.dirty)):
                public_id = self.cases[index].referral.public_id
                url = reverse("referrals:police_detail", args=[public_id])
                pages.append((url, [public_id], (number + self.checks + role) % 2 == 0))
            for url, public_ids, htmx in pages:
                response = self.clients[username].get(url, headers={"HX-Request": "true"} if htmx else {})
                assert response.status_code == 200
                page = response.content.decode()
                assert ("<html" in page) is not htmx
                assert all(public_id in page for public_id in public_ids)
                self._assert_no_secret(page)
        self.dirty.clear()

    @invariant()
    def notifications_carry_no_clinical_data(self):
        new = Notification.objects.filter(pk__gt=self.notifications_checked).order_by("pk")
        for pk, text, url in new.values_list("pk", "text", "url"):
            self._assert_no_secret(f"{text} {url}")
            self.notifications_checked = pk

    def _assert_no_secret(self, text: str) -> None:
        leaked = [secret for secret in [*self.secrets, *Disposition.labels] if secret in text]
        assert leaked == []


def test_random_co_response_sequences_keep_the_invariants(personas):
    clients = {}
    for username in POLICE:
        clients[username] = Client()
        clients[username].force_login(personas[username])
    machine = type("Machine", (CoResponseMachine,), {"personas": personas, "clients": clients})

    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
