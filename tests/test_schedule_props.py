"""Property tests: the follow-up engine's rules against plain reference implementations."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from caseload.services import schedule

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
windows = st.tuples(st.integers(0, 60), st.integers(0, 60))


def reference_status(due_on: date, today: date, before: int, after: int, ahead: int):
    """Written the long way: walk the calendar instead of subtracting."""
    if due_on < today:
        late = 0
        d = due_on
        while d < today:
            d += timedelta(days=1)
            late += 1
        return "overdue", late, late > after
    if due_on == today:
        return "due", 0, False
    visible_from = due_on
    for _ in range(max(before, ahead)):
        visible_from -= timedelta(days=1)
    return ("upcoming" if visible_from <= today else "later"), 0, False


@given(days, st.integers(-400, 400), windows, st.integers(0, 90))
def test_classification_matches_reference(due_on, offset, window, ahead):
    today = due_on + timedelta(days=offset)
    got = schedule.classify(due_on, today, window, ahead)
    assert (got.status, got.days_overdue, got.missed) == reference_status(
        due_on, today, *window, ahead
    )


@given(days, st.integers(-400, 400), windows)
def test_missed_implies_overdue_and_can_only_grow(due_on, offset, window):
    today = due_on + timedelta(days=offset)
    now = schedule.classify(due_on, today, window)
    later = schedule.classify(due_on, today + timedelta(days=1), window)
    if now.missed:
        assert now.status == "overdue" and later.missed
    if now.status == "overdue":
        assert later.days_overdue == now.days_overdue + 1


holiday_sets = st.frozensets(days, max_size=20)


def reference_business_days(start: date, n: int, holidays: frozenset[date]) -> date:
    """Count forward one calendar day at a time, counting only weekdays that aren't holidays."""
    d = start
    counted = 0
    while counted < n:
        d = d + timedelta(days=1)
        if d.isoweekday() <= 5 and d not in holidays:
            counted += 1
    return d


@given(days, st.integers(0, 30), holiday_sets)
def test_business_days_match_reference(start, n, holidays):
    assert schedule.add_business_days(start, n, holidays) == reference_business_days(
        start, n, holidays
    )


@given(days, st.integers(1, 30), holiday_sets)
def test_business_day_result_is_a_business_day_and_skips_exactly_n(start, n, holidays):
    end = schedule.add_business_days(start, n, holidays)
    assert schedule.is_business_day(end, holidays)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(schedule.is_business_day(d, holidays) for d in between) == n


def test_two_business_days_after_a_friday_discharge_is_tuesday():
    friday = date(2026, 11, 20)
    assert schedule.add_business_days(friday, 2) == date(2026, 11, 24)
    # With Monday a holiday, Wednesday.
    assert schedule.add_business_days(friday, 2, frozenset({date(2026, 11, 23)})) == date(
        2026, 11, 25
    )


def test_priority_breakdown_explains_the_score():
    parts = schedule.priority_breakdown(
        risk="high",
        kind="transition_call",
        priority=1,
        days_overdue=3,
        transition=True,
        days_since_reached=None,
    )
    labels = [label for label, _ in parts]
    assert labels == [
        "risk high",
        "kind transition_call",
        "priority 1",
        "3 days overdue",
        "transition of care",
        "never reached",
    ]
    assert (
        schedule.priority_score(
            risk="high",
            kind="transition_call",
            priority=1,
            days_overdue=3,
            transition=True,
            days_since_reached=None,
        )
        == 30 + 25 + 20 + 6 + 20 + 15
    )


@given(st.sampled_from(["high", "medium", "low"]), st.integers(0, 200), st.integers(0, 200))
def test_more_overdue_never_ranks_lower(risk, a, b):
    def score(d):
        return schedule.priority_score(
            risk=risk,
            kind="call",
            priority=3,
            days_overdue=d,
            transition=False,
            days_since_reached=5,
        )

    if a <= b:
        assert score(a) <= score(b)
