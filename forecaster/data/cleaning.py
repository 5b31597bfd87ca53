"""Validate the values, group the rows of each series, put them in time order on a regular grid and fill gaps.

The array path (`clean_series`) cleans every series at once; a series it would refuse goes through
`_clean_one`, which words the refusal for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecaster.data.fill import Grids, filled_flat, filled_values, regular_index, series_grids
from forecaster.data.layout import DECIMAL_COMMA
from forecaster.data.marks import THOUSANDS_COMMA
from forecaster.data.series import MinLength, Schema, Series, SeriesSet
from forecaster.data.timeaxis import STEPS, infer_freq_flat
from forecaster.data.rows import RowLabeller
from forecaster.errors import DataError

# Scalers square values (variance) and metrics square errors in float64, which overflows near 1e154;
# values this large are a unit mistake, so they are refused well before that with the fix.
MAX_MAGNITUDE = 1e100


def numeric_column(column: pd.Series, name: str, source: str, rows: RowLabeller) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & column.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = column.iloc[first]
        text = str(value).strip()
        if THOUSANDS_COMMA.fullmatch(text):
            fix = "set `thousands` , if the comma separates thousands, or `decimal` , if it is a decimal comma"
        elif DECIMAL_COMMA.fullmatch(text):
            fix = "write numbers with a decimal point (1.5, not 1,5), or set `decimal` ,"
        elif "\u2212" in text or "\u2013" in text:
            fix = "write its minus as '-': a typographic minus or dash ('−', '–') is no minus sign to pandas"
        else:
            fix = "fix the value or leave the cell empty to have it filled"
        raise DataError(
            f"{source}: column {name!r} has {value!r} at {rows(first)}, which is not a number "
            f"({int(bad.sum())} such); {fix}"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        first = int(np.flatnonzero(infinite)[0])
        raise DataError(f"{source}: column {name!r} has an infinite value at {rows(first)}; replace it or leave it empty")
    huge = np.abs(numbers) > MAX_MAGNITUDE  # NaN compares False: missing cells are filled later
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"{source}: column {name!r} has {numbers[first]:g} at {rows(first)}, beyond ±{MAX_MAGNITUDE:g}, too large "
            f"to scale and score ({int(huge.sum())} such); divide the column by a power of ten first"
        )
    return numbers


def check_ids(column: pd.Series, name: str, source: str, rows: RowLabeller) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{source}: column {name!r} is empty at {rows(int(np.flatnonzero(missing)[0]))} "
            f"({int(missing.sum())} such); give every row the id of its series"
        )


@dataclass
class Rows:
    """The rows of every series end to end, grouped by series in order of first appearance.

    `rows[i]` is series i as (id, time index, values), the way the per-series code reads it.
    """

    ids: list[str]
    times: pd.Index  # (N,) a DatetimeIndex, or integer steps
    values: np.ndarray  # (N,) float64
    bounds: np.ndarray  # (S + 1,) int64: series i is rows bounds[i]:bounds[i + 1], none empty
    unsorted: np.ndarray | None = None  # (S,) bool: rows out of time order in the file (found when not given)

    def __post_init__(self) -> None:
        if self.unsorted is None:
            self.unsorted = _per_series(np.diff(self.stamps) < 0, self.bounds)

    @property
    def stamps(self) -> np.ndarray:
        """The times as int64: steps, or datetimes counted in their unit (UTC for zoned ones)."""
        return self.times.asi8 if isinstance(self.times, pd.DatetimeIndex) else self.times.to_numpy()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[str, pd.Index, np.ndarray]:
        start, stop = self.bounds[i], self.bounds[i + 1]
        return self.ids[i], self.times[start:stop], self.values[start:stop]

    def __iter__(self) -> Iterator[tuple[str, pd.Index, np.ndarray]]:
        return (self[i] for i in range(len(self)))

    def within_values(self) -> tuple[Rows, np.ndarray, np.ndarray]:
        """Each series (rows in time order) from its first to its last value, and the empty rows cut before and after.

        A series without any value keeps its rows: cleaning refuses it by name.
        """
        present = ~np.isnan(self.values)
        positions = np.arange(len(self.values))
        starts, stops = self.bounds[:-1], self.bounds[1:]
        first = np.minimum.reduceat(np.where(present, positions, len(positions)), starts)
        last = np.maximum.reduceat(np.where(present, positions, -1), starts)
        empty = last < starts
        first, last = np.where(empty, starts, first), np.where(empty, stops - 1, last)
        before, after = first - starts, stops - 1 - last
        if not (before.any() or after.any()):
            return self, before, after
        counts = stops - starts
        keep = (positions >= np.repeat(first, counts)) & (positions <= np.repeat(last, counts))
        bounds = np.concatenate([[0], np.cumsum(last - first + 1)])
        return Rows(self.ids, self.times[keep], self.values[keep], bounds, self.unsorted), before, after

    def in_time_order(self) -> Rows:
        """The rows of each series stably sorted by time, as `sort_index(kind="stable")` sorts them."""
        if not self.unsorted.any():
            return self
        order, stamps = np.arange(len(self.values)), self.stamps
        for i in np.flatnonzero(self.unsorted):  # usually few: most files are in order
            start, stop = self.bounds[i], self.bounds[i + 1]
            order[start:stop] = start + np.argsort(stamps[start:stop], kind="stable")
        return Rows(self.ids, self.times[order], self.values[order], self.bounds, self.unsorted)


def _per_series(flags: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """(S,) bool: whether any of a series' steps (flags on neighbouring rows, np.diff's (N - 1,)) is set."""
    steps = np.zeros(bounds[-1], dtype=bool)
    steps[:-1] = flags
    steps[bounds[1:] - 1] = False  # the step from one series to the next belongs to neither
    return np.logical_or.reduceat(steps, bounds[:-1])


def raw_series(
    frame: pd.DataFrame, schema: Schema, times: pd.Index | None, values: dict[str, np.ndarray]
) -> Rows:
    """Every series' rows end to end, in file order within each, before sorting and regularizing."""
    if schema.layout == "wide":
        index = times if times is not None else pd.RangeIndex(len(frame))
        rows, count = np.tile(np.arange(len(frame)), len(schema.targets)), len(schema.targets)
        return Rows(list(schema.targets), index[rows], np.concatenate([values[col] for col in schema.targets]),
                     np.arange(count + 1) * len(frame))
    codes, ids = pd.factorize(frame[schema.id_col].astype(str))
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(ids)))])
    # One stable sort groups the rows of each id (in file order), instead of a scan of every row per id;
    # a file already grouped by id (codes count up in order of first appearance) needs none.
    order = slice(None) if (np.diff(codes) >= 0).all() else np.argsort(codes, kind="stable")
    if times is None:  # each series' own row numbers
        index = pd.Index(np.arange(len(codes)) - np.repeat(bounds[:-1], np.diff(bounds)))
    else:
        index = times[order]
    return Rows(list(ids), index, values[schema.targets[0]][order], bounds)


def inferred_freq(rows: Rows, source: str) -> str:
    """The frequency of the series' timestamps (`rows` in time order), or STEPS for an integer axis."""
    if not isinstance(rows.times, pd.DatetimeIndex):
        return STEPS
    stamps = rows.stamps
    first = np.ones(len(stamps), dtype=bool)  # the first row of each timestamp within its series
    first[1:] = stamps[1:] != stamps[:-1]
    first[rows.bounds[:-1]] = True
    counts = np.add.reduceat(first, rows.bounds[:-1], dtype=np.int64)
    return infer_freq_flat(rows.times[first], np.concatenate([[0], np.cumsum(counts)]), source)


def clean_series(
    rows: Rows, freq: str, fill: str, into: SeriesSet, strict_grid: bool, needs: MinLength | None
) -> tuple[list[Series], np.ndarray]:
    """Refuse duplicate times, insert missing ones, fill gaps, in array operations over all series at once.

    `rows` are in time order. Returns the series and how many values of each were filled; the totals
    go into `into`. Anything to refuse is left to the per-series `_clean_one`, which words it.
    """
    grids = series_grids(rows.times, rows.bounds, freq)
    refused = None if grids is None else _refused(rows, grids, fill, strict_grid)
    if needs is not None and refused is not None and not refused.any():  # a refused series' own error comes first
        _check_long_enough(rows, grids.lengths, needs, into.source)
    if refused is None or refused.any():
        return _clean_one_by_one(rows, freq, fill, into, strict_grid, refused)
    counts = np.diff(rows.bounds)
    ends = np.cumsum(grids.lengths)
    starts = ends - grids.lengths
    values = np.full(ends[-1], np.nan)  # (sum of grid lengths,): every series on its grid, end to end
    values[np.repeat(starts, counts) + grids.positions] = rows.values
    missing = np.add.reduceat(np.isnan(values), starts, dtype=np.int64)
    filled = filled_flat(values, np.append(starts, ends[-1]), fill)
    into.inserted += int(ends[-1] - counts.sum())
    into.filled += int(missing.sum())
    series = [Series(series_id, index, filled[start:end])
              for series_id, index, start, end in zip(rows.ids, grids.indexes(), starts, ends)]
    return series, missing


def _check_long_enough(rows: Rows, lengths: np.ndarray, needs: MinLength, source: str) -> None:
    """Refuse the first series whose grid is shorter than `needs.steps`, saying how many are."""
    short = np.flatnonzero(lengths < needs.steps)
    if len(short):
        first = int(short[0])
        refusal, fix = needs.refusal(source, rows.ids[first], int(lengths[first])).split("; ", 1)
        raise DataError(f"{refusal} ({len(short)} of {len(rows)} series have fewer than {needs.steps} steps); {fix}")


def _refused(rows: Rows, grids: Grids, fill: str, strict_grid: bool) -> np.ndarray:
    """(S,) bool: the series `_clean_one` would refuse (a repeat, off the grid, no values, ...)."""
    present = np.add.reduceat(~np.isnan(rows.values), rows.bounds[:-1], dtype=np.int64)
    refused = grids.refused | _per_series(np.diff(rows.stamps) == 0, rows.bounds) | (present == 0)
    if fill == "error":
        refused |= present < grids.lengths
    if strict_grid:  # no two timestamps one step apart
        refused |= (np.diff(rows.bounds) >= 3) & ~_per_series(np.diff(grids.positions) == 1, rows.bounds)
    return refused


def _clean_one_by_one(rows: Rows, freq: str, fill: str, into: SeriesSet, strict_grid: bool,
                      refused: np.ndarray | None) -> tuple[list[Series], np.ndarray]:
    """Clean series by series: the refusals, worded for the first series at fault, and the cases arrays cannot take."""
    if refused is not None:
        scratch = SeriesSet([], into.schema, into.source)
        for i in np.flatnonzero(refused):
            _clean_one(*rows[i], freq, fill, scratch, strict_grid)  # raises the series' own error
    series, filled = [], []
    for row in rows:
        before = into.filled
        series.append(_clean_one(*row, freq, fill, into, strict_grid))
        filled.append(into.filled - before)
    return series, np.array(filled, dtype=np.int64)


def _clean_one(
    series_id: str, index: pd.Index, values: np.ndarray, freq: str, fill: str, into: SeriesSet, strict_grid: bool
) -> Series:
    """Sort, refuse duplicate times, insert missing ones, fill gaps; counts go into `into`.

    With `strict_grid`, a series none of whose timestamps are one step apart is refused: it is coarser
    than the (saved) frequency, and filling it would invent most of its values.
    """
    series = pd.Series(values, index=index)
    if not series.index.is_monotonic_increasing:
        series = series.sort_index(kind="stable")
    duplicated = series.index.duplicated()
    if duplicated.any():
        raise DataError(
            f"{into.source}: series {series_id!r} has timestamp {series.index[duplicated][0]} more than once "
            f"({int(duplicated.sum())} repeats); remove duplicates or aggregate them first"
            + ("; if the file holds several series one under another, name their id column with `id_col`"
               if into.schema.layout == "wide" else "")
        )
    grid = regular_index(series.index, freq, into.source, series_id)
    if strict_grid and len(series) >= 3:
        closest = int(np.diff(grid.get_indexer(series.index)).min())
        if closest > 1:
            raise DataError(
                f"{into.source}: series {series_id!r} has no two timestamps one {freq!r} step apart (the closest are "
                f"{closest} steps apart), so it is coarser than the model's frequency {freq!r}; give data at that frequency"
            )
    into.inserted += len(grid) - len(series)
    series = series.reindex(grid)
    filled, count = filled_values(series, fill, into.source, series_id)
    into.filled += count
    return Series(series_id, grid, filled)
