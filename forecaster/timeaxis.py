"""The time axis: frequency inference, seasonal period, regular grids and gap filling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.errors import ConfigError, DataError

STEPS = "steps"  # the frequency name of an integer time axis (row order or integer column)
# A gap-filled series longer than both of these is a stray date (a wrong year), not data: building it
# would take the memory of the machine, and nearly all of its values would be made up.
MAX_GRID = 1_000_000
MAX_GRID_GROWTH = 10  # grid steps per timestamp in the file

# Seasonal period by the base of a pandas offset alias (SPEC §1); anything else is 1.
_SEASONS = {"h": 24, "H": 24, "D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4}


def season_of(freq: str) -> int:
    """The seasonal period SPEC §1 assigns to a frequency (hourly 24, daily 7, ...)."""
    if freq == STEPS:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.n != 1:
        return 1
    base = offset.rule_code.split("-")[0]  # `name` is deprecated in pandas 3
    return _SEASONS.get(base, 1)


def infer_freq(times: list[pd.DatetimeIndex], source: str) -> str:
    """The frequency shared by the series: pandas' inference, else the most common step.

    pandas' `infer_freq` needs a gap-free index, so with gaps the modal difference
    decides, mapped back to calendar offsets for months, quarters and years.
    """
    longest = max(times, key=len)
    if len(longest) < 3:
        raise DataError(f"{source}: too few timestamps to infer a frequency; set --freq")
    inferred = _pandas_freq(longest)
    if inferred is not None:
        return inferred
    # to_numpy keeps each index's own resolution (pandas 3 may use microseconds), unlike asi8.
    diffs = np.concatenate([np.diff(t.to_numpy()).astype("timedelta64[ns]") for t in times if len(t) > 1])
    modal = pd.Timedelta(pd.Series(diffs).mode().iloc[0])
    days = modal / pd.Timedelta(days=1)
    first = longest[0]
    for low, high, start, end in ((28, 31, "MS", "ME"), (89, 92, "QS", "QE"), (365, 366, "YS", "YE")):
        if low <= days <= high:
            alias = start if all((t.day == 1).all() for t in times) else end
            # Quarters and years need an anchor month, else the grid starts in January, off the data.
            return alias if alias in ("MS", "ME") else f"{alias}-{first.strftime('%b').upper()}"
    # pandas names an even step by its calendar unit ("D", "W-MON"); a plain Timedelta
    # would give "24h" or "168h", which have no seasonal period.
    return _pandas_freq(pd.date_range(first, periods=3, freq=modal))


def _pandas_freq(index: pd.DatetimeIndex) -> str | None:
    """pandas' inferred alias, or None; a string on every pandas, though pandas 4 infers offsets."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            inferred = pd.infer_freq(index)
    except pd.errors.OptionError:  # pandas before 3.1 has no such option and returns a string
        inferred = pd.infer_freq(index)
    return None if inferred is None else pd.tseries.frequencies.to_offset(inferred).freqstr


def regular_index(times: pd.Index, freq: str, source: str, series: str) -> pd.Index:
    """The full, gap-free time grid from the first to the last timestamp of a series."""
    if freq == STEPS:
        steps = np.diff(times.to_numpy())
        step = int(np.gcd.reduce(steps)) if len(steps) else 1
        _check_grid_length((int(times[-1]) - int(times[0])) // step + 1, times, None, source, series)
        return pd.RangeIndex(int(times[0]), int(times[-1]) + 1, step)
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise DataError(f"{source}: --freq {freq!r} is not a pandas frequency ({exc})") from None
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
            f"({len(off_grid)} such); resample the data or set --freq to match"
        )
    return grid


def _check_grid_length(length: int, times: pd.Index, freq: str | None, source: str, series: str) -> None:
    """Refuse a series whose gap-free grid would be absurdly long; `freq` None means integer steps."""
    if length > max(MAX_GRID, MAX_GRID_GROWTH * len(times)):
        steps, fix = (("steps", "a stray step number") if freq is None
                      else (f"{freq!r} steps", "a stray date (a wrong year?), or set --freq to the data's real step"))
        raise DataError(
            f"{source}: series {series!r} runs from {times[0]} to {times[-1]}, {length} {steps} for only "
            f"{len(times)} timestamps; check the time column for {fix}"
        )


def filled_values(values: pd.Series, method: str, source: str, series: str) -> tuple[np.ndarray, int]:
    """Fill missing values with the chosen method; returns the values and how many were filled."""
    missing = int(values.isna().sum())
    if missing == len(values):
        raise DataError(f"{source}: series {series!r} has no values at all; drop it or choose another --target")
    if missing == 0:
        return values.to_numpy(dtype=np.float64), 0
    if method == "error":
        first = values.index[values.isna().to_numpy()][0]
        raise DataError(
            f"{source}: series {series!r} is missing a value at {first} ({missing} missing in all); "
            "fill them in the file or use --fill interpolate|ffill|zero"
        )
    if method == "interpolate":
        # Edges have nothing to interpolate between, so they take the nearest value.
        filled = values.interpolate(method="linear", limit_direction="both")
    elif method == "ffill":
        filled = values.ffill().bfill()
    else:
        filled = values.fillna(0.0)
    return filled.to_numpy(dtype=np.float64), missing


def future_index(last: object, freq: str, horizon: int, step: int = 1) -> pd.Index:
    """The `horizon` timestamps (or integer steps) after `last`."""
    if freq == STEPS:
        start = int(last) + step
        return pd.RangeIndex(start, start + horizon * step, step)
    return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]


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
        raise ConfigError(f"--start {text!r} is not {kind}, as this model's time axis needs") from None
