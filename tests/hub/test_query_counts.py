"""Lists and agendas read in a fixed number of queries, and never the identity table."""

from __future__ import annotations

from hub import services
from hub.selectors import agenda_for, situations_visible_to, tables_of


def _agenda(seed, meeting, n):
    for _ in range(n):
        services.agenda_add(situation=seed.propose(), actor=seed.coordinator, meeting=meeting)


def test_the_agenda_reads_five_queries_and_no_identity(hub_seed, django_assert_num_queries):
    seed = hub_seed
    meeting = seed.meeting()
    _agenda(seed, meeting, 1)
    with django_assert_num_queries(5) as captured:
        items = agenda_for(meeting)
        assert [len(i.situation.persons.all()) for i in items] == [1]
    _agenda(seed, meeting, 4)
    with django_assert_num_queries(5) as captured:
        items = agenda_for(meeting)
        for item in items:
            [p.age_band.label for p in item.situation.persons.all()]
            [f.category.label for f in item.situation.risk_factors.all()]
            list(item.situation.protective_factors.all())
            list(item.situation.study_flags.all())
            assert item.situation.originating.sector.label
    assert not any("hub_affectedidentity" in q["sql"] for q in captured.captured_queries)


def test_situation_lists_are_one_query(hub_seed, django_assert_num_queries):
    seed = hub_seed
    meeting = seed.meeting()
    _agenda(seed, meeting, 3)
    user = seed.users["school"]
    list(situations_visible_to(user))  # the user's memberships, once per request
    with django_assert_num_queries(1):
        rows = list(situations_visible_to(user))
        [(s.table.district.code, s.originating.sector.label) for s in rows]
    assert len(rows) == 3
    with django_assert_num_queries(1):
        assert [t.name for t in tables_of(user)] == [seed.table.name]
