"""NCRONTAB schedules (``sec min hour day month day-of-week``), as timer triggers use them.

Supports ``*``, ``*/n``, numbers, ranges ``a-b`` (with ``/n``) and comma lists; day of week
0-6 from Sunday (7 is Sunday too). Like NCrontab, day-of-month and day-of-week must both
match. Times are UTC, the Azure default (``WEBSITE_TIME_ZONE`` is not honoured).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# (low, high) per field, in order.
_FIELDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_SEARCH_DAYS = 366 * 8  # enough for any date that exists (29 February included)


def _parse_field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start_text, end_text = base.split("-", 1)
            start, end = int(start_text), int(end_text)
        else:
            start = int(base)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"NCRONTAB field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed six-field NCRONTAB expression; ``next_after`` finds the next firing time."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise ValueError(f"NCRONTAB needs 6 fields (sec min hour day month dow): {expression}")
        fields = [_parse_field(p, lo, hi) for p, (lo, hi) in zip(parts, _FIELDS, strict=True)]
        fields[5] = frozenset(d % 7 for d in fields[5])
        return cls(*fields)

    def _day_matches(self, moment: datetime) -> bool:
        weekday = moment.isoweekday() % 7  # Monday=1 .. Sunday=0
        return moment.month in self.months and moment.day in self.days and weekday in self.weekdays

    def _first_time_from(self, moment: datetime) -> datetime | None:
        """The first matching time on ``moment``'s day at or after ``moment``."""
        for hour in sorted(h for h in self.hours if h >= moment.hour):
            same_hour = hour == moment.hour
            for minute in sorted(self.minutes):
                if same_hour and minute < moment.minute:
                    continue
                same_minute = same_hour and minute == moment.minute
                for second in sorted(self.seconds):
                    if not same_minute or second >= moment.second:
                        return moment.replace(hour=hour, minute=minute, second=second)
        return None

    def next_after(self, moment: datetime) -> datetime:
        """The first firing time strictly after ``moment`` (same tzinfo, whole seconds)."""
        candidate = moment.replace(microsecond=0) + timedelta(seconds=1)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(candidate):
                found = self._first_time_from(candidate)
                if found is not None:
                    return found
            candidate = (candidate + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        raise ValueError("this NCRONTAB schedule never fires")
