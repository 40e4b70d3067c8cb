"""Workflows: each one a module that keeps its own state beside the shared envelope and registers what it is.

A workflow module (``referrals/workflows/co_response/`` today) is a Django app of its own. Its ``AppConfig.ready``
calls ``register`` with a ``WorkflowSpec``: its one-to-one state model, how a state maps to the police-visible
status and phase, its actions (button, form, service), its authority rules (``referrals.policy``), its filing
form and what filing starts, and its deadline sweepers. Shared code (filing, the case page, the policy, the police
pages) asks the registry and never names a workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models

from programs.registry import workflow_available

if TYPE_CHECKING:
    from referrals.models import Referral


@dataclass(frozen=True)
class Rule:
    """Who may take an action and when. ``who`` names relations of the user to the referral (see
    ``referrals.policy.RELATIONS``); ``states`` the workflow states it is open in (None: any);
    ``ready`` an extra condition on the referral, with the sentence to show when it does not hold."""

    who: frozenset[str]
    states: frozenset[str] | None = None
    ready: Callable[[Referral], str] | None = None  # returns "" when ready, else why not
    refusal: str = "You cannot do that on this request."
    state_refusal: Callable[[Referral], str] | None = None  # a better sentence than "a request that is X cannot"
    permission: str = ""  # a model permission the user must also hold ("referrals.override_consent")


@dataclass(frozen=True)
class Action:
    """One thing a person can do to a referral: its button, its form, the service it calls and what to say after."""

    label: str
    verb: str  # past participle for refusals: "A request that is closed cannot be accepted."
    run: Callable[..., object]  # run(referral=, actor=, data=) calls one service
    form: Callable[..., forms.Form] | None = None  # form(data, referral=) or None
    done: str = ""
    style: str = ""  # "primary" or "danger"
    confirm: str = ""  # asked before sending, for what cannot be undone
    side: str = "partner"  # "partner" (the case page) or "police" (the officer's status page)


@dataclass(frozen=True)
class WorkflowSpec:
    key: str
    state_model: type[models.Model]
    related_name: str  # the envelope's accessor for the state row: referral.<related_name>
    police_status: Callable[[models.Model], tuple[str, str]]  # state row -> (PoliceStatus, Phase)
    actions: dict[str, Action]  # in workflow order: the case page shows them in this order
    rules: dict[str, Rule]
    filing_form: type[forms.Form]  # with fresh_key() and new_referral(program=) -> referrals.services.NewReferral
    start: Callable[..., models.Model]  # start(referral=, new=, now=) creates the state row at filing, returns it
    first_due: Callable[..., datetime | None]  # first_due(program=, now=): the envelope's due time when filed
    state_label: Callable[[models.Model], str]
    deadlines: dict[str, Callable[[datetime], int]] = field(default_factory=dict)
    case_template: str = ""  # the workflow's panel on the case page
    case_context: Callable[..., dict] | None = None  # case_context(referral=, user=) -> extra template values
    overdue: Callable[..., list[dict]] | None = None  # overdue(organisation_ids=, now=) -> supervisor's items
    # One-to-one rows the case page reads with the envelope, joined in the same query (the state row included).
    case_related: tuple[str, ...] = ()
    filing_template: str = "referrals/new.html"
    take: str = "accept"  # the action the queue's button runs on a waiting referral
    urgent: bool = True  # minutes, not days: a re-route into it keeps the intake's urgency
    assignee_label: str = "Clinician"  # what the partner's person holding it is called on both sides' pages
    # "" when the partner may see who the person is now, else why not (casework: consent not in force).
    identity_gate: Callable[[Referral], str] | None = None
    # Hooks for the shared cascades: each moves the workflow's state row to its end and saves it (the envelope is
    # the caller's), returning the state it left. None: the workflow cannot be re-routed / has no consent.
    end_for_reroute: Callable[..., str] | None = None  # end_for_reroute(referral=, actor=)
    end_for_revocation: Callable[..., str] | None = None  # end_for_revocation(referral=, actor=)
    # Values the case page reads with the envelope, computed in the same query: annotation name (led by the
    # workflow's key) -> a function making the expression. A readiness check may read them as fresh as the row.
    case_annotations: dict[str, Callable[[], Any]] = field(default_factory=dict)


_REGISTRY: dict[str, WorkflowSpec] = {}


def register(spec: WorkflowSpec) -> None:
    from routing import deadlines

    _REGISTRY[spec.key] = spec
    workflow_available(spec.key)
    for name, sweeper in spec.deadlines.items():
        deadlines.register(name, sweeper)


def get(key: str) -> WorkflowSpec:
    return _REGISTRY[key]


def spec_for(referral: Referral) -> WorkflowSpec:
    return _REGISTRY[referral.workflow]


def registered() -> list[WorkflowSpec]:
    return list(_REGISTRY.values())


def state_of(referral: Referral) -> models.Model:
    """The referral's workflow state row (select_related it where a list needs it)."""
    return getattr(referral, spec_for(referral).related_name)
