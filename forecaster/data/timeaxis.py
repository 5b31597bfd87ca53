"""The time axis: frequency inference, seasonal period, step labels and the steps after a series' end."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.errors import ConfigError, DataError

STEPS = "steps"  # the frequency name of an integer time axis (row order or integer column)
FIRST_YEAR, LAST_YEAR = 1678, 2261  # the years a nanosecond timestamp holds
# A gap-filled series longer than both of these is a stray date (a wrong year), not data: building it
# would take the memory of the machine, and nearly all of its values would be made up.
MAX_GRID = 1_000_000
MAX_GRID_GROWTH = 10  # grid steps per timestamp in the file

# The longest seasonal period chosen automatically: longer ones (minutely data's 1,440 steps a day) would make
# the default horizon and lookback too long for a recurrent network to train on in reasonable time.
MAX_SEASON = 400
_DAY_NS, _WEEK_NS = 86_400 * 10**9, 7 * 86_400 * 10**9
_YEAR_OF_WEEKS_NS = 52 * _WEEK_NS  # the year of weekly data: 52 steps, whatever the leap days
# Calendar steps (no fixed length) per their cycle, by the base of the offset's alias: a week of business days,
# a year of weeks, months or quarters. Years have no cycle above them.
_CALENDAR_CYCLES = {"B": 5, "C": 5, "W": 52, "MS": 12, "ME": 12, "M": 12, "BMS": 12, "BME": 12, "SMS": 24, "SME": 24,
                    "QS": 4, "QE": 4, "Q": 4, "BQS": 4, "BQE": 4}


def season_of(freq: str) -> int:
    """The seasonal period a frequency implies (SPEC §1), or 1 where it implies none.

    A fixed step takes the steps in the cycle above it: a day for steps under a day (30 minutes: 48,
    2 hours: 12), a week for steps under a week (a day: 7), a year of 52 weeks above (a week: 52).
    A calendar step takes its alias' cycle divided by its multiple (2 months: 6). Only whole periods
    from 2 to MAX_SEASON count; yearly and odd steps (5 hours, 2 days) get 1: none.
    """
    if freq == STEPS:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        step, per_cycle = offset.nanos, None  # a fixed length: hours, minutes, days and weeks given in days
    except ValueError:
        step, per_cycle = None, _CALENDAR_CYCLES.get(offset.rule_code.split("-")[0])
    if step is not None:
        cycle = next((c for c in (_DAY_NS, _WEEK_NS, _YEAR_OF_WEEKS_NS) if step < c), None)
        if cycle is None or cycle % step:
            return 1
        season = cycle // step
    elif per_cycle is None or per_cycle % offset.n:
        return 1
    else:
        season = per_cycle // offset.n
    return int(season) if 2 <= season <= MAX_SEASON else 1


def infer_freq(times: list[pd.DatetimeIndex], source: str) -> str:
    """The frequency shared by the series: pandas' inference, else the most common step.

    pandas' `infer_freq` needs a gap-free index, so with gaps the modal difference
    decides, mapped back to calendar offsets for months, quarters and years.
    """
    bounds = np.cumsum([0, *map(len, times)])
    return infer_freq_flat(times[0].append(list(times[1:])), bounds, source)


def infer_freq_flat(stamps: pd.DatetimeIndex, bounds: np.ndarray, source: str) -> str:
    """`infer_freq` of series given end to end: series i is `stamps[bounds[i]:bounds[i + 1]]`, sorted and unique."""
    first_longest = int(np.argmax(np.diff(bounds)))  # the first of the longest, as max() would pick
    longest = stamps[bounds[first_longest]:bounds[first_longest + 1]]
    if len(longest) < 3:
        raise DataError(f"{source}: too few timestamps to infer a frequency; set `freq`")
    inferred = _pandas_freq(longest)
    if inferred is not None:
        return inferred
    steps = _steps_within(stamps, bounds)
    modal = pd.Timedelta(pd.Series(steps).mode().iloc[0])
    days = modal / pd.Timedelta(days=1)
    first = longest[0]
    if days == 1 and len(longest) >= 10 and (stamps.day_of_week < 5).all():
        return "B"  # weekdays only, a holiday missing here and there: no weekends to make up
    fixed = not (steps % modal.to_timedelta64()).astype(np.int64).any()  # every step a whole number of the modal one
    for low, high, start, end in ((28, 31, "MS", "ME"), (89, 92, "QS", "QE"), (365, 366, "YS", "YE")):
        if low <= days <= high and (alias := _month_anchor(stamps, start, end, source, fixed)) is not None:
            # Quarters and years need an anchor month, else the grid starts in January, off the data.
            return alias if start == "MS" else f"{alias}-{first.strftime('%b').upper()}"
    # pandas names an even step by its calendar unit ("D", "W-MON"); a plain Timedelta
    # would give "24h" or "168h", which have no seasonal period.
    return _pandas_freq(pd.date_range(first, periods=3, freq=modal))


def _month_anchor(stamps: pd.DatetimeIndex, start: str, end: str, source: str, fixed: bool) -> str | None:
    """`start` or `end` (MS or ME, QS or QE, YS or YE) by where the dates fall in their months, with pandas' `B`
    before it where they are the first or last business days. Neither: None for a fixed step (28 days), else
    refused."""
    if (stamps.day == 1).all():
        return start
    if stamps.is_month_end.all():
        return end
    for alias, offset in ((f"B{start}", pd.offsets.BMonthBegin(0)), (f"B{end}", pd.offsets.BMonthEnd(0))):
        if (stamps + offset == stamps).all():  # rolled forward to the offset, a date on it stays
            return alias
    if fixed:
        return None
    days = np.unique(stamps.day)
    where = f"day {days[0]}" if len(days) == 1 else f"days {days[0]} to {days[-1]}"
    apart, month = {"MS": "months", "QS": "quarters", "YS": "years"}[start], stamps[0].strftime("%Y-%m")
    raise DataError(f"{source}: the dates are {apart} apart but fall on {where} of their months ({stamps[0].date()}, "
                    f"...), and steps of months, quarters or years fall on a month's first or last day: write each "
                    f"date as its month's first day ({month}-01) or as the month alone ({month})")


def _steps_within(stamps: pd.DatetimeIndex, bounds: np.ndarray) -> np.ndarray:
    """The differences between neighbouring timestamps of each series (none from one series to the next), in ns."""
    # asi8 counts in the index's own unit (pandas 3 may use microseconds), and in UTC for zoned times.
    steps = np.diff(stamps.asi8).astype(f"m8[{stamps.unit}]").astype("m8[ns]")
    inside = np.ones(len(steps), dtype=bool)
    joins = bounds[1:-1]
    inside[joins[(joins > 0) & (joins < len(stamps))] - 1] = False
    return steps[inside]


def _pandas_freq(index: pd.DatetimeIndex) -> str | None:
    """pandas' inferred alias, or None; a string on every pandas, though pandas 4 infers offsets."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            inferred = pd.infer_freq(index)
    except pd.errors.OptionError:  # pandas before 3.1 has no such option and returns a string
        inferred = pd.infer_freq(index)
    return None if inferred is None else pd.tseries.frequencies.to_offset(inferred).freqstr


def offset_of(freq: str) -> pd.DateOffset:
    """The pandas offset of a frequency alias; ValueError for text that is none, or a step no calendar can take."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        # pandas' out-of-bounds errors are ValueErrors: "1000000000D" parses, but leaves the calendar in one step.
        pd.Timestamp(0).as_unit("ns") + offset
    except OverflowError as exc:  # "10000000000000000000000D"
        raise ValueError(f"a step too large to count: {exc}") from None
    return offset


def axis_step(time: pd.Index) -> int:
    """The step of an integer time axis (a RangeIndex's own); 1 for datetimes, where the frequency applies."""
    return int(getattr(time, "step", 1) or 1)


def future_index(last: object, freq: str, horizon: int, step: int = 1) -> pd.Index:
    """The `horizon` timestamps (or integer steps) after `last`; a DataError where they leave pandas' range."""
    if freq == STEPS:
        start = int(last) + step
        if not -(2**63) <= start + (horizon - 1) * step < 2**63:  # a RangeIndex would overflow only when used
            raise DataError(f"the {horizon} steps after step {last} pass the largest 64-bit step number; "
                            "number the steps 0, 1, 2, ... or use dates")
        return pd.RangeIndex(start, start + horizon * step, step)
    try:
        return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    except (ValueError, OverflowError) as exc:  # pandas' out-of-bounds errors are ValueErrors
        raise DataError(f"the {horizon} steps after {last} leave the dates pandas can hold ({exc})") from None


def time_label(value: object) -> str | int:
    """A timestamp or step as stored in JSON and printed to people."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    return pd.Timestamp(value).isoformat()


def parse_time_label(text: str | int, freq: str) -> object:
    """The inverse of `time_label` for the series' kind of axis; refuses a value of the wrong kind."""
    try:
        if freq == STEPS:
            if isinstance(text, str) and not text.strip().lstrip("+-").isdigit():
                raise ValueError(text)
            return int(text)
        return pd.Timestamp(text)
    except (ValueError, TypeError):
        kind = "a whole step number" if freq == STEPS else "a date or time such as 2024-01-31 12:00"
        raise ConfigError(f"`start` {text!r} is not {kind}, as this model's time axis needs") from None
