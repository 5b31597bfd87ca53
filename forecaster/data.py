"""Read CSV/Parquet, detect the layout, validate, regularize the time axis, fill gaps.

Whatever the file looks like, the result is a `SeriesSet`: clean, gap-free,
finite float series on a regular time axis, plus the schema that reproduces
the same reading of a later file (predict and evaluate load with the model's schema).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.config import Config
from forecaster.errors import DataError
from forecaster.reading import read_table, source_name
from forecaster.timeaxis import (
    STEPS,
    Grids,
    filled_flat,
    filled_values,
    infer_freq_flat,
    regular_index,
    series_grids,
    time_label,
)
from forecaster.roles import BY_MONTH_SERIES, by_month, column_roles, months_as_rows, time_from_parts, with_time_index
from forecaster.timestamps import RowLabeller, is_text, parsed_times

DEFAULT_ID = "unique_id"
DEFAULT_LONG_TARGET = "y"
# Scalers square values (variance) and metrics square errors in float64, which overflows near 1e154;
# values this large are a unit mistake, so they are refused well before that with the fix.
MAX_MAGNITUDE = 1e100
MOSTLY_FILLED = 0.5  # a series with more filled values than this share gets a warning
SHOWN_IDS = 5  # series named in one note before "and N more"
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


@dataclass(frozen=True)
class MinLength:
    """The steps every series must have, known before the data, and the words that refuse a shorter one."""

    steps: int
    refusal: Callable[[str, str, int], str]  # (source, series id, its steps) -> the message


@dataclass(frozen=True)
class Schema:
    """How a file maps to series; saved with the model so later files are read the same way."""

    layout: str  # "wide": one series per target column; "long": one series per id
    time_col: str | None  # None: row order is the time axis
    id_col: str | None  # long layout only
    targets: list[str]  # wide: the value columns; long: the single value column
    freq: str  # pandas offset alias, or "steps" for an integer axis
    covariates: list[str] = field(default_factory=list)  # past covariates: known up to the forecast origin
    future_covariates: list[str] = field(default_factory=list)  # known ahead: given in the forecast rows too
    calendar: list[str] = field(default_factory=list)  # calendar features of the timestamps (chosen when fitting)
    time_parts: list[str] = field(default_factory=list)  # [year], [year, quarter|month], [year, Jan..Dec] (roles.py)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Schema:
        return cls(**values)


@dataclass
class Series:
    """One clean series: a regular time index and finite values."""

    id: str
    time: pd.Index
    values: np.ndarray  # (n,) float64
    covariates: np.ndarray | None = None  # (n, past + future covariates) float64, in the schema's order
    future: np.ndarray | None = None  # (k, future covariates): the given rows after the last value

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class SeriesSet:
    """The clean series of one file, with what was done to clean them."""

    series: list[Series]
    schema: Schema
    source: str
    inserted: int = 0  # timestamps added to close gaps
    filled: int = 0  # missing values filled (inserted ones included)
    notes: list[str] = field(default_factory=list)  # other fixes made while cleaning, in words for people
    warnings: list[str] = field(default_factory=list)  # what was kept but may make poor forecasts

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.series]


def load_series(path: str | Path, config: Config, schema: Schema | None = None,
                needs: MinLength | None = None) -> SeriesSet:
    """Read a data file into clean series; with `schema`, read it the way a model was trained."""
    frame = read_table(Path(path), sep=config.sep, decimal=config.decimal)
    return series_from_frame(frame, config, source=source_name(path), schema=schema, from_file=True, needs=needs)


def series_from_frame(
    frame: pd.DataFrame,
    config: Config,
    source: str = "data",
    schema: Schema | None = None,
    from_file: bool = False,
    needs: MinLength | None = None,
) -> SeriesSet:
    """Turn a wide or long DataFrame into clean series (see the module docstring).

    A series whose gap-free length is under `needs.steps` is refused before any series is built.
    """
    if frame.empty:
        raise DataError(f"{source}: no data rows; expected a header row and at least one data row")
    frame = frame.rename(columns=lambda c: str(c).strip())
    # Parquet keeps a DataFrame's index: dates there are the time, as in a frame given to the library.
    frame = with_time_index(frame, config, saved=schema is not None, saved_time_col=schema.time_col if schema else None)
    notes: list[str] = []
    frame = _without_blank_rows_at_end(frame, source, notes)
    # Data read for a saved model must come at the model's frequency, unless `freq` was the user's own choice.
    strict_grid = schema is not None and not config.freq
    if schema is None:
        schema, guesses = _detect_schema(frame, config, source)
        notes += ["; ".join(guesses)] if guesses else []
    _require_columns(frame, schema, source)
    rows = RowLabeller(from_file)
    if by_month(schema.time_parts):
        frame, rows = months_as_rows(frame, schema.time_parts, schema.targets[0], source, rows)
    elif schema.time_parts:
        frame = frame.assign(**{schema.time_col: time_from_parts(frame, schema.time_parts, source, rows)})
    times = parsed_times(frame, schema.time_col, source, rows, notes, config.date_format, schema.freq)
    values = {col: _numeric_column(frame[col], col, source, rows) for col in schema.targets}
    if schema.id_col is not None:
        _check_ids(frame[schema.id_col], schema.id_col, source, rows)
    raw = _raw_series(frame, schema, times, values)
    covariates = _raw_covariates(frame, schema, times, source, rows) if _covariate_names(schema) else None
    ordered, before, after = raw.in_time_order().within_values()
    if schema.future_covariates:
        after[:] = 0  # the rows after the last value carry the known-ahead covariates of the forecast
    extents = _extents_note(ordered, before, after)
    freq = schema.freq or (config.freq or _inferred_freq(ordered, source))
    schema = replace(schema, freq=freq)
    result = SeriesSet([], schema, source, notes=notes + ([extents] if extents else []))
    unsorted = [ordered.ids[i] for i in np.flatnonzero(ordered.unsorted)]
    if unsorted:
        result.notes.append(_sorted_note(schema, unsorted))
    result.series, filled = _clean_series(ordered, schema.freq, config.fill, result, strict_grid, needs)
    mostly_filled = [f"{s.id!r} ({count / len(s):.0%} filled)" for s, count in zip(result.series, filled)
                     if count > MOSTLY_FILLED * len(s)]
    if covariates is not None:
        _attach_covariates(result, covariates, config.fill)
    if mostly_filled:
        one = len(mostly_filled) == 1
        result.warnings.append(
            f"series {_listed(mostly_filled)} {'is' if one else 'are'} mostly filled-in values (`fill` {config.fill}), "
            f"which makes {'its' if one else 'their'} forecasts unreliable; check the file for gaps or a stray date"
        )
    return result


def _without_blank_rows_at_end(frame: pd.DataFrame, source: str, notes: list[str]) -> pd.DataFrame:
    """The frame without the rows at its end whose every cell is empty (a spreadsheet's padding)."""
    if not frame.iloc[-1].isna().all():
        return frame
    used = np.flatnonzero(frame.notna().any(axis=1).to_numpy())
    if not len(used):
        raise DataError(f"{source}: every cell is empty; expected data rows under the header")
    notes.append(f"ignored the {len(frame) - used[-1] - 1} empty rows at the end")
    return frame.iloc[: used[-1] + 1]


def _extents_note(rows: _Rows, before: np.ndarray, after: np.ndarray) -> str | None:
    """One line naming the series whose empty rows before their first or after their last value were left out."""
    cut = np.flatnonzero((before > 0) | (after > 0))
    if not len(cut):
        return None
    described = []
    for i in cut[:SHOWN_IDS]:
        series_id, times, _ = rows[i]
        ends = ([f"starts {_moment(times[0])} ({before[i]} empty rows before it)"] if before[i] else []) + (
            [f"ends {_moment(times[-1])} ({after[i]} empty rows after it)"] if after[i] else [])
        described.append(f"{series_id!r} {' and '.join(ends)}")
    more = f" and {len(cut) - SHOWN_IDS} more series" if len(cut) > SHOWN_IDS else ""
    return ("each series runs from its first to its last value; empty target cells around it are not data and "
            f"were not filled: {'; '.join(described)}{more}")


def _moment(value: object) -> str:
    """A timestamp or step as people write it: a date alone at midnight."""
    if isinstance(value, (int, np.integer)):
        return f"at step {int(value)}"
    stamp = pd.Timestamp(value)
    return str(stamp.date()) if stamp == stamp.normalize() and stamp.tz is None else stamp.isoformat(sep=" ")


def _sorted_note(schema: Schema, unsorted: list[str]) -> str:
    by = f"column {schema.time_col!r}" if schema.time_col is not None else "time"
    if schema.layout == "wide":
        return f"sorted the rows by {by} (they were out of order)"
    return f"sorted the rows of series {_listed([repr(i) for i in unsorted])} by {by} (they were out of order)"


def _listed(names: list[str]) -> str:
    """Up to SHOWN_IDS names, then how many more."""
    shown = ", ".join(names[:SHOWN_IDS])
    return shown if len(names) <= SHOWN_IDS else f"{shown} and {len(names) - SHOWN_IDS} more"


def check_time_zone(data: SeriesSet, trained_end: object) -> None:
    """Refuse data whose timestamps carry a UTC offset when the model's did not, or the reverse.

    Such times cannot be compared with the model's training end, and a forecast would start at the wrong hour.
    """
    if data.schema.freq == STEPS or not data.series or trained_end is None:
        return
    model_zone = getattr(trained_end, "tzinfo", None)
    data_zone = getattr(data.series[0].time, "tz", None)
    if (model_zone is None) != (data_zone is None):
        have, lack = ("the model's", "the data's") if data_zone is None else ("the data's", "the model's")
        raise DataError(
            f"{data.source}: {have} timestamps carry a UTC offset but {lack} do not "
            f"(the model was trained up to {time_label(trained_end)}); give column {data.schema.time_col!r} "
            "the same kind of timestamps the model was trained on"
        )


def _detect_schema(frame: pd.DataFrame, config: Config, source: str) -> tuple[Schema, list[str]]:
    """The schema a person would read from the frame, and each guessed column role in words."""
    id_col = config.id_col or (DEFAULT_ID if DEFAULT_ID in frame.columns else None)
    roles = column_roles(frame, config, id_col, source)
    time_col = roles.time_col
    for role, col in (("time", time_col), ("series id", id_col)):
        if col is not None and col in (config.target or []):
            raise DataError(
                f"{source}: `target` {col!r} is the {role} column; choose value columns among "
                f"{', '.join(str(c) for c in frame.columns if c not in (time_col, id_col))}"
            )
    if id_col is not None:
        targets = config.target or [DEFAULT_LONG_TARGET]
        if len(targets) != 1:
            raise DataError(f"{source}: long format takes one `target` column, got {', '.join(targets)}")
        return Schema("long", time_col, id_col, targets, config.freq or "", list(config.covariates),
                      list(config.future_covariates), time_parts=roles.time_parts), roles.guesses
    used = {time_col, *roles.time_parts, *roles.ignored, *config.covariates, *config.future_covariates}
    targets = config.target or [c for c in frame.columns if c not in used and _holds_numbers(frame[c])]
    if by_month(roles.time_parts):
        targets = [BY_MONTH_SERIES]
    if not targets:
        raise DataError(
            f"{source}: no numeric value column found among {', '.join(map(str, frame.columns))}; "
            "name the value column with `target`"
        )
    return Schema("wide", time_col, None, list(targets), config.freq or "", list(config.covariates),
                  list(config.future_covariates), time_parts=roles.time_parts), roles.guesses


def _holds_numbers(column: pd.Series) -> bool:
    """A value column, even when a stray text cell made pandas read it as text."""
    if pd.api.types.is_bool_dtype(column):
        return False  # a flag such as `holiday` is a covariate, not a series to forecast
    if pd.api.types.is_numeric_dtype(column):
        return True
    if not is_text(column):
        return False
    # Mostly numbers means a typo to report at its line, not a label column to drop silently.
    present = column.dropna().astype(str)
    # Decimal commas ("1,5") count too, so that the refusal can point at them.
    numbers = pd.to_numeric(present.str.replace(_DECIMAL_COMMA, lambda m: m[0].replace(",", "."), regex=True),
                            errors="coerce")
    return len(present) > 0 and numbers.notna().mean() > 0.5


def _require_columns(frame: pd.DataFrame, schema: Schema, source: str) -> None:
    values = [] if by_month(schema.time_parts) else schema.targets  # a year-by-month table's series has no column
    needed = [c for c in (schema.time_col, *schema.time_parts, schema.id_col, *values, *schema.covariates,
                          *schema.future_covariates) if c is not None]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: no column {', '.join(map(repr, missing))}; the columns are "
            f"{', '.join(map(str, frame.columns))} (choose with `target`, `time_col`, `id_col`)"
        )


def _numeric_column(column: pd.Series, name: str, source: str, rows: RowLabeller) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & column.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = column.iloc[first]
        fix = ("write numbers with a decimal point (1.5, not 1,5), or set `decimal` ," if _DECIMAL_COMMA.fullmatch(str(value).strip())
               else "fix the value or leave the cell empty to have it filled")
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


def _check_ids(column: pd.Series, name: str, source: str, rows: RowLabeller) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{source}: column {name!r} is empty at {rows(int(np.flatnonzero(missing)[0]))} "
            f"({int(missing.sum())} such); give every row the id of its series"
        )


@dataclass
class _Rows:
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

    def within_values(self) -> tuple[_Rows, np.ndarray, np.ndarray]:
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
        return _Rows(self.ids, self.times[keep], self.values[keep], bounds, self.unsorted), before, after

    def in_time_order(self) -> _Rows:
        """The rows of each series stably sorted by time, as `sort_index(kind="stable")` sorts them."""
        if not self.unsorted.any():
            return self
        order, stamps = np.arange(len(self.values)), self.stamps
        for i in np.flatnonzero(self.unsorted):  # usually few: most files are in order
            start, stop = self.bounds[i], self.bounds[i + 1]
            order[start:stop] = start + np.argsort(stamps[start:stop], kind="stable")
        return _Rows(self.ids, self.times[order], self.values[order], self.bounds, self.unsorted)


def _per_series(flags: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """(S,) bool: whether any of a series' steps (flags on neighbouring rows, np.diff's (N - 1,)) is set."""
    steps = np.zeros(bounds[-1], dtype=bool)
    steps[:-1] = flags
    steps[bounds[1:] - 1] = False  # the step from one series to the next belongs to neither
    return np.logical_or.reduceat(steps, bounds[:-1])


def _raw_series(
    frame: pd.DataFrame, schema: Schema, times: pd.Index | None, values: dict[str, np.ndarray]
) -> _Rows:
    """Every series' rows end to end, in file order within each, before sorting and regularizing."""
    if schema.layout == "wide":
        index = times if times is not None else pd.RangeIndex(len(frame))
        rows, count = np.tile(np.arange(len(frame)), len(schema.targets)), len(schema.targets)
        return _Rows(list(schema.targets), index[rows], np.concatenate([values[col] for col in schema.targets]),
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
    return _Rows(list(ids), index, values[schema.targets[0]][order], bounds)


def _inferred_freq(rows: _Rows, source: str) -> str:
    """The frequency of the series' timestamps (`rows` in time order), or STEPS for an integer axis."""
    if not isinstance(rows.times, pd.DatetimeIndex):
        return STEPS
    stamps = rows.stamps
    first = np.ones(len(stamps), dtype=bool)  # the first row of each timestamp within its series
    first[1:] = stamps[1:] != stamps[:-1]
    first[rows.bounds[:-1]] = True
    counts = np.add.reduceat(first, rows.bounds[:-1], dtype=np.int64)
    return infer_freq_flat(rows.times[first], np.concatenate([[0], np.cumsum(counts)]), source)


def _clean_series(
    rows: _Rows, freq: str, fill: str, into: SeriesSet, strict_grid: bool, needs: MinLength | None
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


def _check_long_enough(rows: _Rows, lengths: np.ndarray, needs: MinLength, source: str) -> None:
    """Refuse the first series whose grid is shorter than `needs.steps`, saying how many are."""
    short = np.flatnonzero(lengths < needs.steps)
    if len(short):
        first = int(short[0])
        refusal, fix = needs.refusal(source, rows.ids[first], int(lengths[first])).split("; ", 1)
        raise DataError(f"{refusal} ({len(short)} of {len(rows)} series have fewer than {needs.steps} steps); {fix}")


def _refused(rows: _Rows, grids: Grids, fill: str, strict_grid: bool) -> np.ndarray:
    """(S,) bool: the series `_clean_one` would refuse (a repeat, off the grid, no values, ...)."""
    present = np.add.reduceat(~np.isnan(rows.values), rows.bounds[:-1], dtype=np.int64)
    refused = grids.refused | _per_series(np.diff(rows.stamps) == 0, rows.bounds) | (present == 0)
    if fill == "error":
        refused |= present < grids.lengths
    if strict_grid:  # no two timestamps one step apart
        refused |= (np.diff(rows.bounds) >= 3) & ~_per_series(np.diff(grids.positions) == 1, rows.bounds)
    return refused


def _clean_one_by_one(rows: _Rows, freq: str, fill: str, into: SeriesSet, strict_grid: bool,
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


# ------------------------------------------------------------------ covariates
def _covariate_names(schema: Schema) -> list[str]:
    return [*schema.covariates, *schema.future_covariates]


def _raw_covariates(frame: pd.DataFrame, schema: Schema, times: pd.Index | None, source: str,
                    rows: RowLabeller) -> dict[str, _Rows]:
    """Each covariate column split like the target: per series in long files, one shared column in wide ones."""
    covariates = {}
    for name in _covariate_names(schema):
        numbers = {name: _numeric_column(frame[name], name, source, rows)}
        covariates[name] = _raw_series(frame, replace(schema, targets=[name]), times, numbers)
    return covariates


def _attach_covariates(data: SeriesSet, raw: dict[str, _Rows], fill: str) -> None:
    """Give each series its covariates on its own time grid (filled like the target) and its future rows."""
    schema, filled = data.schema, 0
    for i, series in enumerate(data.series):
        columns, future = [], []
        for name in _covariate_names(schema):
            _, index, values = raw[name][i] if schema.layout == "long" else raw[name][0]
            column = pd.Series(values, index=index).sort_index(kind="stable")
            column = column[~column.index.duplicated(keep="first")]  # the target's check already refused repeats
            past = column[column.index <= series.time[-1]].reindex(series.time)
            label = f"{series.id} (covariate {name!r})"
            values, count = filled_values(past, fill, data.source, label)
            columns.append(values)
            filled += count
            if name in schema.future_covariates:
                future.append(_future_rows(column[column.index > series.time[-1]], series, schema.freq, data.source))
        series.covariates = np.column_stack(columns)
        if future:
            length = min(len(f) for f in future)
            series.future = np.column_stack([f[:length] for f in future])
    if filled:
        data.notes.append(f"filled {filled} missing covariate values (`fill` {fill})")


def _future_rows(column: pd.Series, series: Series, freq: str, source: str) -> np.ndarray:
    """A future covariate's values on the steps right after the series' end, up to the first one missing."""
    if column.empty:
        return np.empty(0)
    # The same grid checks as the series' own timestamps: a forecast row off the grid is refused.
    steps = regular_index(pd.Index([series.time[-1]]).append(column.index), freq, source, series.id)[1:]
    values = column.reindex(steps).to_numpy(dtype=np.float64)
    gap = np.flatnonzero(np.isnan(values))
    return values if not len(gap) else values[: gap[0]]
