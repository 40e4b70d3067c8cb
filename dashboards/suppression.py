"""The one suppression engine: every dashboard, chart's data and CSV outside a partner asks it what to hide.

Pure Python, no Django. A table is a set of cells (any hashable keys) with their counts, and the equations that
tie them: each published total equals the sum of its parts (a month's city total is the sum of its districts, a
district's year-to-date is the sum of its months, "declined" is the sum of its reasons). Totals are cells too:
they are suppressed by the same rules, and an attacker may use every published one.

1. Primary: a cell of 1 to ``threshold - 1`` is hidden; zero is shown.
2. Complementary, to a fixed point: an equation with exactly one hidden member hides a second one.
3. The sum rule: where an equation's total is published, its hidden parts add up to a known number; below the
   threshold (zero included) that number narrows them too much, so another part is hidden (or the total).
4. The exact check: over the rationals, a hidden cell is determined when the unit vector of its variable lies in
   the row space of the equations restricted to the hidden cells (the published values only move the right-hand
   side). Gauss-Jordan elimination with ``fractions.Fraction``; a determined cell gets a further cell hidden
   beside it, and everything runs again until nothing is determined.

Frozen cells come from months already released (``dashboards.models.PublishedCell``): a frozen published value is
public for good, so it is never chosen to hide; a frozen hidden cell stays hidden.

The candidate to hide next is always the published member with the smallest positive count (zeros last, then the
key's text for a stable answer): the least information lost.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

DEFAULT_THRESHOLD = 11

Key = Hashable


@dataclass(frozen=True)
class Equation:
    """``total`` equals the sum of ``parts``."""

    total: Key
    parts: tuple[Key, ...]

    @property
    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


@dataclass
class Result:
    hidden: set[Key]
    primary: set[Key] = field(default_factory=set)
    rounds: int = 0

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden


def is_primary(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def suppress(
    values: Mapping[Key, int],
    equations: Iterable[Equation],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    frozen_published: Iterable[Key] = (),
    frozen_hidden: Iterable[Key] = (),
) -> Result:
    """The cells to hide. ``values`` holds every cell, totals included; each equation's members must be keys of it."""
    if threshold < 1:
        raise ValueError("The suppression threshold is at least 1.")
    equations = list(equations)
    for equation in equations:
        missing = [key for key in equation.members if key not in values]
        if missing:
            raise KeyError(f"Equation members without a value: {missing[:3]}")
    locked = set(frozen_published)
    primary = {key for key, value in values.items() if is_primary(value, threshold)}
    hidden = (primary | set(frozen_hidden)) - locked
    by_member: dict[Key, list[Equation]] = {}
    for equation in equations:
        for key in equation.members:
            by_member.setdefault(key, []).append(equation)

    def rank_key(key: Key) -> tuple:
        value = values[key]
        return (value == 0, value, repr(key))

    def candidate(keys: Iterable[Key]) -> Key | None:
        choices = [key for key in keys if key not in hidden and key not in locked]
        return min(choices, key=rank_key) if choices else None

    rounds = 0
    while True:
        rounds += 1
        changed = _complete_lines(values, equations, hidden, candidate, threshold)
        if changed:
            continue
        determined = determined_cells(equations, hidden)
        if not determined:
            return Result(hidden=hidden, primary=primary, rounds=rounds)
        grew = False
        for key in sorted(determined, key=repr):
            neighbours = [member for equation in by_member.get(key, []) for member in equation.members]
            extra = candidate(neighbours)
            if extra is None:
                # Everything around it is frozen and public: look one equation further out.
                extra = candidate(
                    member
                    for neighbour in neighbours
                    for equation in by_member.get(neighbour, [])
                    for member in equation.members
                )
            if extra is not None:
                hidden.add(extra)
                grew = True
        if not grew:  # only frozen cells remain to hide: nothing more the engine may do
            return Result(hidden=hidden, primary=primary, rounds=rounds)


def _complete_lines(values, equations, hidden, candidate, threshold) -> bool:
    """Steps 2 and 3 to a fixed point; whether anything was hidden."""
    changed_any = False
    changed = True
    while changed:
        changed = False
        for equation in equations:
            members = equation.members
            hidden_members = [key for key in members if key in hidden]
            if len(hidden_members) == 1:
                extra = candidate(members)
                if extra is not None:
                    hidden.add(extra)
                    changed = True
                    continue
            if equation.total not in hidden:
                hidden_parts = [key for key in equation.parts if key in hidden]
                if hidden_parts and sum(values[key] for key in hidden_parts) < threshold:
                    extra = candidate(equation.parts)
                    if extra is None:
                        extra = candidate([equation.total])
                    if extra is not None:
                        hidden.add(extra)
                        changed = True
        changed_any |= changed
    return changed_any


def determined_cells(equations: Iterable[Equation], hidden: set[Key]) -> set[Key]:
    """The hidden cells whose value follows from the published cells and the equations (exact, over Q)."""
    rows: list[dict[Key, Fraction]] = []
    for equation in equations:
        row: dict[Key, Fraction | int] = {}
        if equation.total in hidden:
            row[equation.total] = 1
        for part in equation.parts:
            if part in hidden:
                row[part] = row.get(part, 0) - 1
                if row[part] == 0:
                    del row[part]
        if row:
            rows.append(row)
    reduced = _rref(rows)
    return {next(iter(row)) for row in reduced if len(row) == 1}


def _rref(rows: list[dict[Key, Fraction | int]]) -> list[dict[Key, Fraction | int]]:
    """Reduced row echelon form of sparse rows (Gauss-Jordan, exact): one row per pivot, pivot coefficient 1.

    Coefficients stay Python integers while every pivot is 1 or -1 (the usual case for sums of counts, and many
    times faster than ``Fraction``); a row is divided into fractions only by a pivot of another size."""
    pivots: dict[Key, dict[Key, Fraction]] = {}  # pivot variable -> its row
    holders: dict[Key, set[Key]] = {}  # variable -> pivots whose rows contain it
    for source in rows:
        row = dict(source)
        for var in [var for var in row if var in pivots]:
            coefficient = row.get(var)
            if coefficient:
                _axpy(row, -coefficient, pivots[var])
        if not row:
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        if scale == -1:
            row = {var: -value for var, value in row.items()}
        elif scale != 1:
            row = {var: Fraction(value) / scale for var, value in row.items()}
        # Eliminate the new pivot from every earlier row that holds it.
        for other in list(holders.get(pivot, ())):
            other_row = pivots[other]
            coefficient = other_row.get(pivot)
            if coefficient:
                before = set(other_row)
                _axpy(other_row, -coefficient, row)
                for var in before - set(other_row):
                    holders.get(var, set()).discard(other)
                for var in set(other_row) - before:
                    holders.setdefault(var, set()).add(other)
        pivots[pivot] = row
        for var in row:
            holders.setdefault(var, set()).add(pivot)
    return list(pivots.values())


def _axpy(target: dict[Key, Fraction | int], factor: Fraction | int, source: dict[Key, Fraction | int]) -> None:
    for var, value in source.items():
        updated = target.get(var, 0) + factor * value
        if updated:
            target[var] = updated
        else:
            target.pop(var, None)


# --- the grid every dashboard publishes -----------------------------------------------------------------------

YTD = "YTD"  # the month of a year-to-date total
CITY = "CITY"  # the district of a citywide total


def grid_equations(
    months: list[str], districts: list[str], measures: list[str], families: Mapping[str, list[str]] = {}
) -> list[Equation]:
    """A month x district x measure grid with its published totals: each month's city total, each district's
    year-to-date, the city's year-to-date (as the sum of the months and of the districts), and for each family the
    parent measure as the sum of its children in every cell and total."""
    equations: list[Equation] = []
    for measure in measures:
        for month in months:
            equations.append(Equation((month, CITY, measure), tuple((month, d, measure) for d in districts)))
        for district in districts:
            equations.append(Equation((YTD, district, measure), tuple((m, district, measure) for m in months)))
        equations.append(Equation((YTD, CITY, measure), tuple((YTD, d, measure) for d in districts)))
        equations.append(Equation((YTD, CITY, measure), tuple((m, CITY, measure) for m in months)))
    for parent, children in families.items():
        for month in [*months, YTD]:
            for district in [*districts, CITY]:
                equations.append(Equation((month, district, parent), tuple((month, district, c) for c in children)))
    return equations


def grid_values(
    cells: Mapping[tuple[str, str, str], int], months: list[str], districts: list[str], measures: list[str]
) -> dict[tuple[str, str, str], int]:
    """Every cell of the grid (zero where ``cells`` has none) and its totals, summed."""
    values: dict[tuple[str, str, str], int] = {}
    for measure in measures:
        for month in months:
            for district in districts:
                values[(month, district, measure)] = int(cells.get((month, district, measure), 0))
        for month in months:
            values[(month, CITY, measure)] = sum(values[(month, d, measure)] for d in districts)
        for district in districts:
            values[(YTD, district, measure)] = sum(values[(m, district, measure)] for m in months)
        values[(YTD, CITY, measure)] = sum(values[(YTD, d, measure)] for d in districts)
    return values
