"""The suppression engine (dashboards.suppression): primary, complementary, the sum rule, frozen cells, and a
hypothesis proof that no hidden cell can be solved from what is published."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards.suppression import CITY, YTD, Equation, determined_cells, grid_equations, grid_values, suppress


def rank(rows: list[list[Fraction]]) -> int:
    """Rank over the rationals by plain Gaussian elimination on dense rows: independent of the engine's RREF."""
    matrix = [list(row) for row in rows]
    rank_found, columns = 0, len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((r for r in range(rank_found, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank_found], matrix[pivot] = matrix[pivot], matrix[rank_found]
        for r in range(len(matrix)):
            if r != rank_found and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[rank_found][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank_found], strict=True)]
        rank_found += 1
    return rank_found


def solvable(values, equations, hidden) -> set:
    """The hidden cells a reader can solve from the published cells and totals: x_h is determined exactly when the
    unit row e_h adds nothing to the rank of the equations restricted to the hidden cells."""
    order = sorted(hidden, key=repr)
    index = {key: i for i, key in enumerate(order)}
    rows = []
    for equation in equations:
        row = [Fraction(0)] * len(order)
        if equation.total in index:
            row[index[equation.total]] += 1
        for part in equation.parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    base = rank(rows) if rows else 0
    found = set()
    for key in order:
        unit = [Fraction(0)] * len(order)
        unit[index[key]] = Fraction(1)
        if rank([*rows, unit]) == base:
            found.add(key)
    return found


def one_month(*counts: int):
    districts = [f"D{i}" for i in range(len(counts))]
    cells = {("2026-01", d, "requests"): c for d, c in zip(districts, counts, strict=True)}
    values = grid_values(cells, ["2026-01"], districts, ["requests"])
    return values, grid_equations(["2026-01"], districts, ["requests"]), districts


def test_primary_hides_one_to_ten_and_shows_zero_and_eleven():
    values = {"zero": 0, "one": 1, "ten": 10, "eleven": 11, "many": 400}
    result = suppress(values, [])
    assert result.hidden == {"one", "ten"}


def test_threshold_is_configurable():
    values = {"four": 4, "five": 5, "ten": 10}
    assert suppress(values, [], threshold=5).hidden == {"four"}
    with pytest.raises(ValueError):
        suppress(values, [], threshold=0)


def test_district_recoverable_from_city_total_and_other_districts_gets_a_second_cell_hidden():
    values, equations, _ = one_month(5, 20, 30)
    primary_only = {("2026-01", "D0", "requests"), (YTD, "D0", "requests")}
    # Primary suppression alone: the city total minus the other two districts gives the hidden 5 back.
    assert ("2026-01", "D0", "requests") in solvable(values, equations, primary_only)
    result = suppress(values, equations)
    assert ("2026-01", "D0", "requests") in result.hidden
    assert ("2026-01", "D1", "requests") in result.hidden  # the smallest other district, 20, hides with it
    assert ("2026-01", "D2", "requests") not in result.hidden
    assert solvable(values, equations, result.hidden) == set()
    assert values[("2026-01", CITY, "requests")] == 55


def test_sum_rule_hides_more_where_hidden_cells_add_up_below_the_threshold():
    values = {"a": 3, "b": 2, "c": 35, "d": 60, "total": 100}
    equations = [Equation("total", ("a", "b", "c", "d"))]
    # Complementary alone is satisfied (two hidden cells) but a + b = 100 - 95 = 5 tells too much.
    result = suppress(values, equations)
    assert {"a", "b", "c"} <= result.hidden
    assert "d" not in result.hidden and "total" not in result.hidden
    assert sum(values[k] for k in result.hidden) >= 11


def test_sum_rule_counts_hidden_zeros():
    values = {"a": 4, "z": 0, "b": 50, "total": 54}
    result = suppress(values, [Equation("total", ("a", "z", "b"))])
    assert result.hidden == {"a", "b"}  # hiding the zero would leave a = 54 - 50, or a + 0 = 4: hide b


def test_frozen_published_cell_is_never_hidden_and_frozen_hidden_stays_hidden():
    values, equations, _ = one_month(5, 20, 30)
    frozen_published = {("2026-01", "D1", "requests")}
    frozen_hidden = {("2026-01", "D2", "requests")}
    result = suppress(values, equations, frozen_published=frozen_published, frozen_hidden=frozen_hidden)
    assert ("2026-01", "D1", "requests") not in result.hidden
    assert ("2026-01", "D2", "requests") in result.hidden
    assert solvable(values, equations, result.hidden) == set()


def test_family_parent_equals_sum_of_children_is_protected():
    months, districts, children = ["2026-01", "2026-02"], ["A", "B", "C"], ["safety", "capacity"]
    cells = {}
    for i, (m, d) in enumerate((m, d) for m in months for d in districts):
        cells[(m, d, "safety")] = [3, 40, 25, 12, 30, 2][i]
        cells[(m, d, "capacity")] = [20, 15, 0, 33, 11, 19][i]
    values = grid_values(cells, months, districts, children)
    for m in [*months, YTD]:
        for d in [*districts, CITY]:
            values[(m, d, "declined")] = values[(m, d, "safety")] + values[(m, d, "capacity")]
    equations = grid_equations(months, districts, ["declined", *children], {"declined": children})
    result = suppress(values, equations)
    assert solvable(values, equations, result.hidden) == set()
    assert ("2026-01", "A", "safety") in result.hidden


def test_the_independent_checker_finds_what_the_engine_finds():
    values, equations, _ = one_month(5, 20, 30)
    # One month: a district's year-to-date repeats its month, so both must hide.
    hidden = {(m, d, "requests") for m in ("2026-01", YTD) for d in ("D0", "D1")}
    assert determined_cells(equations, hidden) == solvable(values, equations, hidden) == set()
    hidden = {("2026-01", "D0", "requests"), ("2026-01", "D1", "requests")}
    assert determined_cells(equations, hidden) == solvable(values, equations, hidden) == hidden


small_counts = st.one_of(st.integers(0, 12), st.integers(0, 60))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_months=st.integers(1, 4),
    n_districts=st.integers(1, 4),
    n_children=st.integers(0, 3),
    threshold=st.sampled_from([3, 5, 11]),
    data=st.data(),
)
def test_no_hidden_cell_is_determined_by_what_is_published(n_months, n_districts, n_children, threshold, data):
    months = [f"2026-{m + 1:02d}" for m in range(n_months)]
    districts = [f"D{d}" for d in range(n_districts)]
    children = [f"reason{c}" for c in range(n_children)]
    base = children or ["requests"]
    cells = {(m, d, x): data.draw(small_counts) for m in months for d in districts for x in base}
    values = grid_values(cells, months, districts, base)
    measures, families = list(base), {}
    if children:
        for m in [*months, YTD]:
            for d in [*districts, CITY]:
                values[(m, d, "declined")] = sum(values[(m, d, c)] for c in children)
        measures, families = ["declined", *children], {"declined": children}
    equations = grid_equations(months, districts, measures, families)

    result = suppress(values, equations, threshold=threshold)

    assert {k for k, v in values.items() if 0 < v < threshold} <= result.hidden  # primary
    assert not any(values[k] == 0 for k in result.primary)  # zero is shown
    assert solvable(values, equations, result.hidden) == set()  # nothing can be solved
    for equation in equations:  # complementary and the sum rule
        hidden_members = [k for k in equation.members if k in result.hidden]
        assert len(hidden_members) != 1
        if equation.total not in result.hidden:
            hidden_parts = [k for k in equation.parts if k in result.hidden]
            if hidden_parts:
                assert sum(values[k] for k in hidden_parts) >= threshold or all(
                    k in result.hidden for k in equation.parts
                )
