"""Helpers for the programs tests: programs made as an administrator would, with the casework workflow available."""

from __future__ import annotations

from accounts.models import Organisation
from programs.models import Program, Workflow


def youthconnect() -> Organisation:
    return Organisation.objects.get(short_name="YouthConnect")


def make_program(slug: str, *, organisation: Organisation | None = None, **fields) -> Program:
    """A casework program of YouthConnect unless told otherwise: make_program("yc-teens", min_age=13, max_age=19)."""
    defaults = {
        "name": slug.replace("-", " ").title(),
        "organisation": organisation or youthconnect(),
        "workflow": Workflow.CASEWORK,
        "description": f"What {slug} is for.",
    }
    return Program.objects.create(slug=slug, **{**defaults, **fields})
