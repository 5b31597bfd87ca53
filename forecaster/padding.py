"""Short series, lengthened at their start so that every window of a model fits them.

A set of business series mixes a few short ones with many long ones. Rather than cut the lookback
to the shortest series (one step, on M3 Yearly), a series shorter than a window needs is extended
back in time with its first value: a flat past that the window normalization reads as no change.
The steps added are never forecast or scored; they only fill the start of the first windows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecaster.data import Series, SeriesSet
from forecaster.data.timeaxis import STEPS, axis_step


def padded(data: SeriesSet, lengths: list[int]) -> tuple[SeriesSet, int]:
    """`data` with series i lengthened at its start to `lengths[i]` steps where it is shorter; and how many were."""
    series = [_lengthened(s, n, data.schema.freq) if len(s) < n else s for s, n in zip(data.series, lengths)]
    count = sum(len(s) < n for s, n in zip(data.series, lengths))
    return (dataclasses.replace(data, series=series) if count else data), count


def _lengthened(series: Series, length: int, freq: str) -> Series:
    extra = length - len(series)
    covariates = None if series.covariates is None else np.concatenate(
        [np.repeat(series.covariates[:1], extra, axis=0), series.covariates])
    return dataclasses.replace(series, time=_joined(_past_index(series.time, freq, extra), series.time),
                               values=np.concatenate([np.full(extra, series.values[0]), series.values]),
                               covariates=covariates)


def _past_index(time: pd.Index, freq: str, steps: int) -> pd.Index:
    """The `steps` timestamps (or integer steps) before the first of `time`."""
    if freq == STEPS:
        step = axis_step(time)
        return pd.RangeIndex(int(time[0]) - steps * step, int(time[0]), step)
    return pd.date_range(end=time[0], periods=steps + 1, freq=freq)[:-1]


def _joined(past: pd.Index, time: pd.Index) -> pd.Index:
    """`past` then `time`; integer steps stay a RangeIndex (append would give a plain Index)."""
    if isinstance(past, pd.RangeIndex) and isinstance(time, pd.RangeIndex) and time.step == past.step:
        return pd.RangeIndex(past.start, time.stop, time.step)
    return past.append(time)
