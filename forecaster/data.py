"""Read CSV/Parquet, detect the layout, validate, regularize the time axis, fill gaps.

Whatever the file looks like, the result is a `SeriesSet`: clean, gap-free,
finite float series on a regular time axis, plus the schema that reproduces
the same reading of a later file (predict and evaluate load with the model's schema).
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.config import Config
from forecaster.errors import DataError
from forecaster.timeaxis import STEPS, filled_values, infer_freq, regular_index

TIME_NAMES = ("ds", "date", "timestamp", "time", "datetime")
DEFAULT_ID = "unique_id"
DEFAULT_LONG_TARGET = "y"
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Schema:
    """How a file maps to series; saved with the model so later files are read the same way."""

    layout: str  # "wide": one series per target column; "long": one series per id
    time_col: str | None  # None: row order is the time axis
    id_col: str | None  # long layout only
    targets: list[str]  # wide: the value columns; long: the single value column
    freq: str  # pandas offset alias, or "steps" for an integer axis
    covariates: list[str] = field(default_factory=list)

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

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.series]


def load_series(path: str | Path, config: Config, schema: Schema | None = None) -> SeriesSet:
    """Read a data file into clean series; with `schema`, read it the way a model was trained."""
    path = Path(path)
    return series_from_frame(read_table(path), config, source=str(path), schema=schema, from_file=True)


def read_table(path: Path) -> pd.DataFrame:
    """Read CSV (delimiter sniffed) or Parquet into a DataFrame, refusing unreadable files clearly."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a CSV or Parquet file")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    try:
        return pd.read_csv(path, sep=_sniff_delimiter(path), skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({type(exc).__name__}: {exc})") from None


def _sniff_delimiter(path: Path) -> str:
    # The C parser is fast but cannot sniff, so sniff a sample here and hand it the delimiter.
    with open(path, "rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    # A full sample may end inside a multi-byte character; only a whole file must decode completely.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(sample, final=len(sample) < SNIFF_BYTES)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file; save it as UTF-8 CSV (or Parquet)") from None
    if "\x00" in text:
        raise DataError(f"{path}: binary content, not a CSV file")
    try:
        # Whole lines only: the sample's last line may be cut mid-field.
        lines = "\n".join(text.splitlines()[:20])
        return csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def series_from_frame(
    frame: pd.DataFrame,
    config: Config,
    source: str = "data",
    schema: Schema | None = None,
    from_file: bool = False,
) -> SeriesSet:
    """Turn a wide or long DataFrame into clean series (see the module docstring)."""
    if frame.empty:
        raise DataError(f"{source}: no data rows; expected a header row and at least one data row")
    frame = frame.rename(columns=lambda c: str(c).strip())
    schema = schema or _detect_schema(frame, config, source)
    _require_columns(frame, schema, source)
    rows = _RowLabeller(from_file)
    times = _parsed_times(frame, schema.time_col, source, rows)
    values = {col: _numeric_column(frame[col], col, source, rows) for col in schema.targets}
    raw = _raw_series(frame, schema, times, values)
    freq = schema.freq or (config.freq or _inferred_freq([t for _, t, _ in raw], source))
    schema = Schema(schema.layout, schema.time_col, schema.id_col, schema.targets, freq, schema.covariates)
    result = SeriesSet([], schema, source)
    for series_id, index, column in raw:
        result.series.append(_clean_series(series_id, index, column, schema.freq, config.fill, result))
    return result


class _RowLabeller:
    """Names a row the way the user sees it: a CSV line number, or a DataFrame position."""

    def __init__(self, from_file: bool) -> None:
        self.from_file = from_file

    def __call__(self, position: int) -> str:
        # Line 1 is the header, so data position 0 is line 2.
        return f"line {position + 2}" if self.from_file else f"row {position}"


def _detect_schema(frame: pd.DataFrame, config: Config, source: str) -> Schema:
    time_col = _time_column(frame, config, source)
    id_col = config.id_col or (DEFAULT_ID if DEFAULT_ID in frame.columns else None)
    if id_col is not None:
        targets = config.target or [DEFAULT_LONG_TARGET]
        if len(targets) != 1:
            raise DataError(f"{source}: long format takes one --target column, got {', '.join(targets)}")
        return Schema("long", time_col, id_col, targets, config.freq or "")
    used = {time_col}
    targets = config.target or [c for c in frame.columns if c not in used and _holds_numbers(frame[c])]
    if not targets:
        raise DataError(
            f"{source}: no numeric value column found among {', '.join(map(str, frame.columns))}; "
            "name the value column with --target"
        )
    return Schema("wide", time_col, None, list(targets), config.freq or "")


def _holds_numbers(column: pd.Series) -> bool:
    """A value column, even when a stray text cell made pandas read it as text."""
    if pd.api.types.is_bool_dtype(column):
        return False  # a flag such as `holiday` is a covariate, not a series to forecast
    if pd.api.types.is_numeric_dtype(column):
        return True
    if not _is_text(column):
        return False
    # Mostly numbers means a typo to report at its line, not a label column to drop silently.
    present = column.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() > 0.5


def _time_column(frame: pd.DataFrame, config: Config, source: str) -> str | None:
    if config.time_col is not None:
        return config.time_col
    by_name = {str(c).lower(): c for c in frame.columns}
    for name in TIME_NAMES:
        if name in by_name:
            return by_name[name]
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            return col
    for col in frame.columns:
        if _is_text(frame[col]) and col != config.id_col and _looks_like_dates(frame[col]):
            return col
    return None


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _looks_like_dates(column: pd.Series) -> bool:
    sample = column.dropna().head(20).astype(str)
    if sample.empty or sample.str.fullmatch(r"[-+]?\d+(\.\d+)?").any():
        return False
    return bool(pd.to_datetime(sample, errors="coerce", format="mixed").notna().all())


def _require_columns(frame: pd.DataFrame, schema: Schema, source: str) -> None:
    needed = [c for c in (schema.time_col, schema.id_col, *schema.targets, *schema.covariates) if c is not None]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: no column {', '.join(map(repr, missing))}; the columns are "
            f"{', '.join(map(str, frame.columns))} (choose with --target, --time-col, --id-col)"
        )


def _parsed_times(frame: pd.DataFrame, time_col: str | None, source: str, rows: _RowLabeller) -> pd.Index | None:
    """The time column as datetimes or integer steps; None when row order is the axis."""
    if time_col is None:
        return None
    column = frame[time_col]
    if column.isna().any():
        raise DataError(f"{source}: column {time_col!r} is empty at {rows(int(np.flatnonzero(column.isna())[0]))}")
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        fractional = np.mod(column.to_numpy(dtype=float), 1) != 0
        if fractional.any():
            first = int(np.flatnonzero(fractional)[0])
            raise DataError(
                f"{source}: column {time_col!r} has {column.iloc[first]} at {rows(first)}, not a whole step; "
                "number the steps 0, 1, 2, ... or use dates"
            )
        return pd.Index(column.to_numpy(dtype=np.int64))
    try:
        parsed = _datetimes(column, utc=False)
    except ValueError:
        # Mixed UTC offsets cannot share one naive axis; put them all on UTC.
        parsed = _datetimes(column, utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: column {time_col!r} has {column.iloc[first]!r} at {rows(first)}, which is not a date "
            f"or time ({int(bad.sum())} such); fix it, or name the real time column with --time-col"
        )
    return pd.DatetimeIndex(parsed)


def _datetimes(column: pd.Series, utc: bool) -> pd.Series:
    """The column as datetimes, NaT where a value is not one."""
    parsed = pd.to_datetime(column, errors="coerce", utc=utc)
    if parsed.notna().all():
        return parsed
    # pandas guesses one format from the first value, which misses ISO dates that only
    # sometimes carry a time of day ("2024-01-03", "2024-01-03 12:00"); ISO 8601 covers both.
    iso = pd.to_datetime(column, errors="coerce", utc=utc, format="ISO8601")
    return iso if iso.notna().sum() > parsed.notna().sum() else parsed


def _numeric_column(column: pd.Series, name: str, source: str, rows: _RowLabeller) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & column.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: column {name!r} has {column.iloc[first]!r} at {rows(first)}, which is not a number "
            f"({int(bad.sum())} such); fix the value or leave the cell empty to have it filled"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        first = int(np.flatnonzero(infinite)[0])
        raise DataError(f"{source}: column {name!r} has an infinite value at {rows(first)}; replace it or leave it empty")
    return numbers


def _raw_series(
    frame: pd.DataFrame, schema: Schema, times: pd.Index | None, values: dict[str, np.ndarray]
) -> list[tuple[str, pd.Index, np.ndarray]]:
    """(id, time index, values) per series, before sorting and regularizing."""
    if schema.layout == "wide":
        index = times if times is not None else pd.RangeIndex(len(frame))
        return [(col, index, values[col]) for col in schema.targets]
    ids = frame[schema.id_col].astype(str).to_numpy()
    column = values[schema.targets[0]]
    raw = []
    for series_id in pd.unique(ids):
        rows = np.flatnonzero(ids == series_id)
        index = times[rows] if times is not None else pd.RangeIndex(len(rows))
        raw.append((series_id, index, column[rows]))
    return raw


def _inferred_freq(times: list[pd.Index], source: str) -> str:
    if not isinstance(times[0], pd.DatetimeIndex):
        return STEPS
    return infer_freq([t.sort_values().unique() for t in times], source)


def _clean_series(series_id: str, index: pd.Index, values: np.ndarray, freq: str, fill: str, into: SeriesSet) -> Series:
    """Sort, refuse duplicate times, insert missing ones, fill gaps; counts go into `into`."""
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
    into.inserted += len(grid) - len(series)
    series = series.reindex(grid)
    filled, count = filled_values(series, fill, into.source, series_id)
    into.filled += count
    return Series(series_id, grid, filled)
