"""A file or a DataFrame to clean series: the steps of `data/` in order.

read (`reading`) -> detect the layout and each column's role (`layout`, `roles`) -> parse time
(`timestamps`) -> validate, regularize and fill (`cleaning`, `fill`, `timeaxis`) -> covariates (`covariates`).
Whatever the file looks like, the result is a `SeriesSet`: clean, gap-free, finite float series on a
regular time axis, plus the schema that reproduces the same reading of a later file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.config import Config
from forecaster.data.cleaning import Rows, check_ids, clean_series, inferred_freq, numeric_column, raw_series
from forecaster.data.clock import at_time_of_day, is_time_of_day
from forecaster.data.covariates import attach_covariates, covariate_names, raw_covariates
from forecaster.data.layout import DEFAULT_ID, detect_schema, require_columns
from forecaster.data.reading import STDIN, read_table, source_name
from forecaster.data.roles import by_month, months_as_rows, time_from_parts, with_time_index
from forecaster.data.signs import errors_as_missing, signs_dropped
from forecaster.data.series import MinLength, Schema, SeriesSet
from forecaster.data.timeaxis import STEPS, time_label
from forecaster.data.rows import RowLabeller
from forecaster.data.timestamps import parsed_times
from forecaster.errors import DataError

MOSTLY_FILLED = 0.5  # a series with more filled values than this share gets a warning
SHOWN_IDS = 5  # series named in one note before "and N more"


def load_series(path: str | Path, config: Config, schema: Schema | None = None,
                needs: MinLength | None = None) -> SeriesSet:
    """Read a data file into clean series; with `schema`, read it the way a model was trained."""
    ids = schema.id_col if schema is not None else config.id_col or DEFAULT_ID
    frame = read_table(Path(path), sep=config.sep, decimal=config.decimal, thousands=config.thousands,
                       as_text=(ids,) if ids else ())
    return series_from_frame(frame, config, source=source_name(path), schema=schema, path=Path(path), needs=needs)


def series_from_frame(frame: pd.DataFrame, config: Config, source: str = "data", schema: Schema | None = None,
                      path: Path | None = None, needs: MinLength | None = None) -> SeriesSet:
    """Turn a wide or long DataFrame into clean series (see the module docstring).

    `path` is the file the frame was read from (`-`: standard input), whose lines messages name; None names
    rows of a DataFrame. A series whose gap-free length is under `needs.steps` is refused before any series is built.
    """
    if frame.empty:
        raise DataError(f"{source}: no data rows; expected a header row and at least one data row")
    decimal = config.decimal or frame.attrs.get("decimal")  # the file's decimal comma, where its numbers show one
    frame = frame.rename(columns=lambda c: str(c).strip())
    # Parquet keeps a DataFrame's index: dates there are the time, as in a frame given to the library.
    frame = with_time_index(frame, config, saved=schema is not None, saved_time_col=schema.time_col if schema else None)
    notes: list[str] = []
    frame = _without_blank_rows_at_end(_without_empty_unnamed_columns(frame), source, notes)
    ids = schema.id_col if schema is not None else config.id_col or DEFAULT_ID
    rows = RowLabeller(path is not None, None if path is None or str(path) == STDIN else path)
    named = {col for col in (config.time_col, ids) if isinstance(col, str)}  # a damaged model's may be no name
    frame = signs_dropped(frame, named, (decimal, config.thousands), source, notes)
    frame = errors_as_missing(frame, named, decimal, rows, notes)
    # Data read for a saved model must come at the model's frequency, unless `freq` was the user's own choice.
    strict_grid = schema is not None and not config.freq
    if schema is None:
        schema, guesses = detect_schema(frame, config, source)
        notes += ["; ".join(guesses)] if guesses else []
    require_columns(frame, schema, source)
    raw, covariates = _rows(frame, schema, config, source, rows, notes)
    ordered, before, after = raw.in_time_order().within_values()
    if schema.future_covariates:
        after[:] = 0  # the rows after the last value carry the known-ahead covariates of the forecast
    extents = _extents_note(ordered, before, after)
    schema = replace(schema, freq=schema.freq or (config.freq or inferred_freq(ordered, source)))
    result = SeriesSet([], schema, source, notes=notes + ([extents] if extents else []))
    unsorted = [ordered.ids[i] for i in np.flatnonzero(ordered.unsorted)]
    if unsorted:
        result.notes.append(_sorted_note(schema, unsorted))
    result.series, filled = clean_series(ordered, schema.freq, config.fill, result, strict_grid, needs)
    if covariates is not None:
        attach_covariates(result, covariates, config.fill)
    result.warnings += _mostly_filled(result.series, filled, config.fill)
    return result


def _rows(frame: pd.DataFrame, schema: Schema, config: Config, source: str, rows: RowLabeller,
          notes: list[str]) -> tuple[Rows, dict[str, Rows] | None]:
    """The rows of every series (times parsed, values checked) as in the file, and of every covariate."""
    clocked = is_time_of_day(None, schema.time_parts)
    if by_month(schema.time_parts):
        frame, rows = months_as_rows(frame, schema.time_parts, schema.targets[0], source, rows)
    elif schema.time_parts and not clocked:
        frame = frame.assign(**{schema.time_col: time_from_parts(frame, schema.time_parts, source, rows)})
    # Dates beside their time of day are days, whatever the frequency of the joined times.
    freq = ("D" if schema.freq else None) if clocked else schema.freq
    times = parsed_times(frame, schema.time_col, source, rows, notes, config.date_format, freq)
    if clocked:
        times = at_time_of_day(times, frame[schema.time_parts[1]], schema.time_col, source, rows)
    values = {col: numeric_column(frame[col], col, source, rows) for col in schema.targets}
    if schema.id_col is not None:
        check_ids(frame[schema.id_col], schema.id_col, source, rows)
    raw = raw_series(frame, schema, times, values)
    return raw, raw_covariates(frame, schema, times, source, rows) if covariate_names(schema) else None


def _mostly_filled(series: list, filled: np.ndarray, fill: str) -> list[str]:
    """A warning naming the series of which more than MOSTLY_FILLED was filled in, if any."""
    named = [f"{s.id!r} ({count / len(s):.0%} filled)" for s, count in zip(series, filled) if count > MOSTLY_FILLED * len(s)]
    if not named:
        return []
    one = len(named) == 1
    return [f"series {_listed(named)} {'is' if one else 'are'} mostly filled-in values (`fill` {fill}), "
            f"which makes {'its' if one else 'their'} forecasts unreliable; check the file for gaps or a stray date"]


def _without_empty_unnamed_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without columns that have neither a name nor a value: what a separator at each line's end makes."""
    empty = [c for c in frame.columns if str(c).startswith("Unnamed: ") and frame[c].isna().all()]
    return frame.drop(columns=empty) if empty and len(empty) < len(frame.columns) else frame


def _without_blank_rows_at_end(frame: pd.DataFrame, source: str, notes: list[str]) -> pd.DataFrame:
    """The frame without the rows at its end whose every cell is empty (a spreadsheet's padding)."""
    if not frame.iloc[-1].isna().all():
        return frame
    used = np.flatnonzero(frame.notna().any(axis=1).to_numpy())
    if not len(used):
        raise DataError(f"{source}: every cell is empty; expected data rows under the header")
    notes.append(f"ignored the {len(frame) - used[-1] - 1} empty rows at the end")
    return frame.iloc[: used[-1] + 1]


def _extents_note(rows: Rows, before: np.ndarray, after: np.ndarray) -> str | None:
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
