"""Covariates: each column split by series like the target, put on its series' grid and filled; future rows kept."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from forecaster.data.cleaning import Rows, numeric_column, raw_series
from forecaster.data.fill import filled_values, regular_index
from forecaster.data.series import Schema, Series, SeriesSet
from forecaster.data.rows import RowLabeller


def covariate_names(schema: Schema) -> list[str]:
    return [*schema.covariates, *schema.future_covariates]


def raw_covariates(frame: pd.DataFrame, schema: Schema, times: pd.Index | None, source: str,
                    rows: RowLabeller) -> dict[str, Rows]:
    """Each covariate column split like the target: per series in long files, one shared column in wide ones."""
    covariates = {}
    for name in covariate_names(schema):
        numbers = {name: numeric_column(frame[name], name, source, rows)}
        covariates[name] = raw_series(frame, replace(schema, targets=[name]), times, numbers)
    return covariates


def attach_covariates(data: SeriesSet, raw: dict[str, Rows], fill: str) -> None:
    """Give each series its covariates on its own time grid (filled like the target) and its future rows."""
    schema, filled = data.schema, 0
    for i, series in enumerate(data.series):
        columns, future = [], []
        for name in covariate_names(schema):
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
