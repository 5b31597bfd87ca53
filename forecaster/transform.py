"""The value transform (the `transform` setting): the network may model the log of positive series.

Where a series' noise grows with its level (loads, traffic, sales), the log makes an error of
10 % the same size at every level, and a seasonal-naive base becomes a multiplicative one.
Everything between reading and writing (scalers, windows, training, calibration) then works on
the logs; forecasts and interval bounds are turned back with exp, which keeps their order, so a
quantile of the log is the same quantile of the value.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from forecaster.data import Series, SeriesSet
from forecaster.errors import DataError


def to_model(data: SeriesSet, transform: str) -> SeriesSet:
    """`data` as the network models it: under `log`, every value's log; refuses values at or below zero."""
    if transform != "log":
        return data
    return dataclasses.replace(data, series=[dataclasses.replace(s, values=_logged(s, data.source)) for s in data.series])


def from_model(values: np.ndarray, transform: str) -> np.ndarray:
    """Model-space forecasts (or actuals) back in data units."""
    if transform != "log":
        return values
    with np.errstate(over="ignore"):  # an overflow becomes inf, which the caller refuses with its own message
        return np.exp(values)


def _logged(series: Series, source: str) -> np.ndarray:
    bad = np.flatnonzero(~(series.values > 0))
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{source}: series {series.id!r} has {series.values[i]:g} at {series.time[i]}, but this model forecasts the "
            "log of the values (`transform` log), which needs every value above zero; retrain with `transform` none"
        )
    return np.log(series.values)
