"""Regularize and fill: each series on its full time grid, gaps filled by the `fill` setting.

`regular_index` and `filled_values` take one series; `series_grids` and `filled_flat` do the same for
many series given end to end, in array operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecaster.data.timeaxis import MAX_GRID, MAX_GRID_GROWTH, STEPS, offset_of
from forecaster.errors import DataError


def regular_index(times: pd.Index, freq: str, source: str, series: str) -> pd.Index:
    """The full, gap-free time grid from the first to the last timestamp of a series."""
    if freq == STEPS:
        steps = np.diff(times.to_numpy())
        step = int(np.gcd.reduce(steps)) if len(steps) else 1
        _check_grid_length((int(times[-1]) - int(times[0])) // step + 1, times, None, source, series)
        return pd.RangeIndex(int(times[0]), int(times[-1]) + 1, step)
    try:
        offset = offset_of(freq)
    except ValueError as exc:
        raise DataError(f"{source}: `freq` {freq!r} is not a pandas frequency ({exc})") from None
    try:
        # Only fixed steps (hours, minutes, ...) can be counted before the grid is built; calendar ones
        # (months, quarters) are at least a day long and cannot grow too long from real dates.
        _check_grid_length((times[-1] - times[0]) // pd.Timedelta(offset) + 1, times, freq, source, series)
    except (ValueError, TypeError):
        pass
    grid = pd.date_range(times[0], times[-1], freq=offset)
    off_grid = times.difference(grid)
    if len(off_grid):
        raise DataError(
            f"{source}: series {series!r} has timestamp {off_grid[0]} off the {freq!r} grid "
            f"({len(off_grid)} such); resample the data or set `freq` to match"
        )
    return grid


def _check_grid_length(length: int, times: pd.Index, freq: str | None, source: str, series: str) -> None:
    """Refuse a series whose gap-free grid would be absurdly long; `freq` None means integer steps."""
    if length > max(MAX_GRID, MAX_GRID_GROWTH * len(times)):
        steps, fix = (("steps", "a stray step number") if freq is None
                      else (f"{freq!r} steps", "a stray date (a wrong year?), or set `freq` to the data's real step"))
        raise DataError(
            f"{source}: series {series!r} runs from {times[0]} to {times[-1]}, {length} {steps} for only "
            f"{len(times)} timestamps; check the time column for {fix}"
        )


def filled_values(values: pd.Series, method: str, source: str, series: str) -> tuple[np.ndarray, int]:
    """Fill missing values with the chosen method; returns the values and how many were filled."""
    missing = int(values.isna().sum())
    if missing == len(values):
        raise DataError(f"{source}: series {series!r} has no values at all; drop it or choose another `target`")
    if missing == 0:
        return values.to_numpy(dtype=np.float64), 0
    if method == "error":
        first = values.index[values.isna().to_numpy()][0]
        raise DataError(
            f"{source}: series {series!r} is missing a value at {first} ({missing} missing in all); "
            "fill them in the file or use `fill` interpolate|ffill|zero"
        )
    if method == "interpolate":
        # Edges have nothing to interpolate between, so they take the nearest value.
        filled = values.interpolate(method="linear", limit_direction="both")
    elif method == "ffill":
        filled = values.ffill().bfill()
    else:
        filled = values.fillna(0.0)
    return filled.to_numpy(dtype=np.float64), missing


@dataclass
class Grids:
    """The regular grids of many series given end to end, sorted by time within each, as `regular_index` makes them."""

    positions: np.ndarray  # (N,) int64: the step of each timestamp on its series' grid
    lengths: np.ndarray  # (S,) int64: the length of each series' grid
    refused: np.ndarray  # (S,) bool: series `regular_index` refuses (too long, a timestamp off the grid)
    indexes: Callable[[], list[pd.Index]]  # every series' grid; only when none is refused


def series_grids(times: pd.Index, bounds: np.ndarray, freq: str) -> Grids | None:
    """`regular_index` of every series i, `times[bounds[i]:bounds[i + 1]]`, in array operations.

    None where only `regular_index` itself can tell: an unknown frequency, a time axis of the
    other kind, a step finer than the timestamps' unit, numbers too large to subtract safely.
    """
    is_datetime = isinstance(times, pd.DatetimeIndex)
    stamps = times.asi8 if is_datetime else times.to_numpy()
    if is_datetime == (freq == STEPS) or stamps.dtype != np.int64 or not _subtractable(stamps):
        return None
    if not is_datetime:
        return _step_grids(stamps, bounds)
    try:
        offset = offset_of(freq)
    except ValueError:
        return None
    # A Tick (hour, minute, ...) is a fixed duration; so is a day on clocks without daylight saving.
    if isinstance(offset, pd.offsets.Tick) or (isinstance(offset, pd.offsets.Day) and times.tz is None):
        step, rest = divmod(pd.Timedelta(offset), pd.Timedelta(1, unit=times.unit))
        return _fixed_grids(times, bounds, step) if rest == pd.Timedelta(0) else None
    return _calendar_grids(times, bounds, offset)


def _subtractable(stamps: np.ndarray) -> bool:
    """Whether differences of these int64 stamps, and products with small counts, cannot overflow."""
    return len(stamps) == 0 or (stamps.min() >= -(2**62) and stamps.max() <= 2**62)


def _step_grids(stamps: np.ndarray, bounds: np.ndarray) -> Grids:
    """Integer axes: each series steps by the greatest common divisor of its differences."""
    first, last, counts = stamps[bounds[:-1]], stamps[bounds[1:] - 1], np.diff(bounds)
    steps = np.zeros(len(stamps), dtype=np.int64)
    steps[:-1] = np.diff(stamps)
    steps[bounds[1:] - 1] = 0  # from one series to the next: no step (gcd(0, x) = x)
    step = np.maximum(np.gcd.reduceat(steps, bounds[:-1]), 1)  # a single timestamp steps by 1
    lengths = (last - first) // step + 1
    positions = (stamps - np.repeat(first, counts)) // np.repeat(step, counts)

    def indexes() -> list[pd.Index]:
        return [pd.RangeIndex(int(a), int(b) + 1, int(c)) for a, b, c in zip(first, last, step)]

    return Grids(positions, lengths, _too_long(lengths, counts), indexes)


def _fixed_grids(times: pd.DatetimeIndex, bounds: np.ndarray, step: int) -> Grids:
    """Fixed-duration steps (`step` in the timestamps' unit): grids and positions by arithmetic."""
    stamps = times.asi8
    first, last, counts = stamps[bounds[:-1]], stamps[bounds[1:] - 1], np.diff(bounds)
    since_first = stamps - np.repeat(first, counts)
    off_grid = np.logical_or.reduceat(since_first % step != 0, bounds[:-1])
    lengths = (last - first) // step + 1

    def indexes() -> list[pd.Index]:
        ends = np.cumsum(lengths)
        grid = times if (lengths == counts).all() else _fixed_grid(first, lengths, step, times)  # no gaps: the times
        return [grid[end - length:end] for end, length in zip(ends, lengths)]

    return Grids(since_first // step, lengths, _too_long(lengths, counts) | off_grid, indexes)


def _fixed_grid(first: np.ndarray, lengths: np.ndarray, step: int, times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The grids of `_fixed_grids` end to end: from each first timestamp, `length` steps of `step`."""
    ends = np.cumsum(lengths)
    since_first = np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)
    grid = pd.DatetimeIndex((np.repeat(first, lengths) + since_first * step).view(f"M8[{times.unit}]"))
    return grid if times.tz is None else grid.tz_localize("UTC").tz_convert(times.tz)  # asi8 counts in UTC


def _calendar_grids(times: pd.DatetimeIndex, bounds: np.ndarray, offset: pd.DateOffset) -> Grids:
    """Calendar steps (months, weeks, business days, zoned days): one `date_range` per distinct first timestamp."""
    stamps = times.asi8
    first, last, counts = stamps[bounds[:-1]], stamps[bounds[1:] - 1], np.diff(bounds)
    positions, lengths = np.zeros(len(stamps), dtype=np.int64), np.zeros(len(counts), dtype=np.int64)
    refused = _too_long(_fixed_length(first, last, offset, times.unit), counts)
    # A grid from one start is a prefix of a longer grid from that start: series that start together share one.
    kept = np.flatnonzero(~refused)
    latest = pd.Series(last[kept], index=kept).groupby(first[kept]).idxmax()  # first timestamp -> series ending last
    ranges: dict[int, pd.DatetimeIndex] = {}
    for i in kept:
        start, stop = bounds[i], bounds[i + 1]
        if first[i] not in ranges:
            try:
                ranges[first[i]] = pd.date_range(times[start], times[bounds[latest[first[i]] + 1] - 1], freq=offset)
            except (ValueError, OverflowError):  # regular_index raises it again, for this series
                refused[i] = True
                continue
        found = _found(ranges[first[i]], times.unit, stamps[start:stop])
        refused[i] = found is None
        if found is not None:
            positions[start:stop], lengths[i] = found, found[-1] + 1

    def indexes() -> list[pd.Index]:
        return [ranges[a][:n] for a, n in zip(first, lengths)]

    return Grids(positions, lengths, refused, indexes)


def _found(grid: pd.DatetimeIndex, unit: str, stamps: np.ndarray) -> np.ndarray | None:
    """The positions of `stamps` (sorted, in `unit`) on `grid`; None if any is off it."""
    if grid.unit != unit:
        return None  # compared in one unit only: regular_index decides
    found = np.searchsorted(grid.asi8, stamps)
    if found[-1] >= len(grid) or not np.array_equal(grid.asi8[found], stamps):
        return None
    return found


def _fixed_length(first: np.ndarray, last: np.ndarray, offset: pd.DateOffset, unit: str) -> np.ndarray:
    """Grid lengths as `regular_index` checks them, in steps of the offset's duration; 0 (unchecked) without one."""
    try:
        step = pd.Timedelta(offset) // pd.Timedelta(1, unit=unit)
    except (ValueError, TypeError):
        return np.zeros(len(first), dtype=np.int64)
    return (last - first) // step + 1


def _too_long(lengths: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Series whose grid `_check_grid_length` refuses."""
    return lengths > np.maximum(MAX_GRID, MAX_GRID_GROWTH * counts)


def filled_flat(values: np.ndarray, bounds: np.ndarray, method: str) -> np.ndarray:
    """`filled_values` of many series given end to end (none all missing), each filled on its own."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    if method not in ("interpolate", "ffill"):
        return np.where(missing, 0.0, values)
    rows = np.arange(len(values))
    counts = np.diff(bounds)
    # The nearest present value before and after each row, within its own series.
    before = np.maximum.accumulate(np.where(missing, -1, rows))
    after = np.minimum.accumulate(np.where(missing, len(values), rows)[::-1])[::-1]
    has_before = before >= np.repeat(bounds[:-1], counts)
    has_after = after < np.repeat(bounds[1:], counts)
    # Forward fill, then backward fill before a series' first value; interpolation fills the edges so too.
    filled = np.where(has_before, values[np.maximum(before, 0)], values[np.minimum(after, len(values) - 1)])
    if method == "interpolate":
        between = missing & has_before & has_after
        # pandas interpolates each series with np.interp over its positions; end to end the positions
        # only shift by the series' start, so the differences, and the values, are the same.
        filled[between] = np.interp(rows[between], rows[~missing], values[~missing])
    return np.where(missing, filled, values)
