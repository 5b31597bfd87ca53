"""The network's input channels: the scaled target, the covariates, and calendar features.

Channel order is fixed: target, past covariates, future covariates, calendar (sin, cos of
each feature). The last two groups are known ahead, so they come last: the network and the
windows address them as "the last `known` channels".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.data import Schema, Series
from forecaster.scaling import Scaler, fit_scaler
from forecaster.timeaxis import STEPS, future_index

# Each calendar feature, its cycle, and the phase of a timestamp in that cycle (0 to 1).
CYCLES = {
    "hour": (pd.Timedelta(days=1), lambda t: (t.hour + t.minute / 60) / 24),
    "weekday": (pd.Timedelta(days=7), lambda t: t.day_of_week / 7),
    "month": (pd.Timedelta(days=365.25), lambda t: (t.month - 1) / 12),
}
# A feature is only learnable when the training data shows its cycle repeat: with one year of
# data, "month" would only teach the network the single level each month happened to have.
MIN_CYCLES = 2


def calendar_features(series: list[Series], n_train: list[int], freq: str) -> list[str]:
    """The calendar features these series can teach: each varies between steps and repeats in training."""
    if freq == STEPS or not series:
        return []
    longest = max(s.time[n - 1] - s.time[0] for s, n in zip(series, n_train))
    step = min((s.time[1] - s.time[0] for s in series if len(s) > 1), default=None)
    if step is None:
        return []
    return [name for name, (cycle, _) in CYCLES.items() if step < cycle and longest >= MIN_CYCLES * cycle]


def calendar_values(time: pd.Index, names: list[str]) -> np.ndarray:
    """(n, 2 * features): the sine and cosine of each feature's phase, so that its cycle closes smoothly."""
    columns = []
    for name in names:
        phase = 2 * np.pi * np.asarray(CYCLES[name][1](pd.DatetimeIndex(time)), dtype=np.float64)
        columns += [np.sin(phase), np.cos(phase)]
    return np.stack(columns, axis=1) if columns else np.zeros((len(time), 0))


def known_channels(schema: Schema) -> int:
    """How many trailing input channels are known ahead: future covariates and calendar."""
    return len(schema.future_covariates) + 2 * len(schema.calendar)


def channel_count(schema: Schema) -> int:
    """All input channels: the target, past covariates, then the known-ahead ones."""
    return 1 + len(schema.covariates) + known_channels(schema)


def check_channels(schema: Schema, input_size: int, known: int) -> None:
    """Raise ValueError unless a saved schema describes exactly the network's input channels."""
    for name in ("covariates", "future_covariates", "calendar"):
        names = getattr(schema, name)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"schema {name} must be a list of names, got {names!r}")
    unknown = sorted(set(schema.calendar) - set(CYCLES))
    if unknown:
        raise ValueError(f"unknown calendar feature(s) {', '.join(unknown)}")
    if (channel_count(schema), known_channels(schema)) != (input_size, known):
        raise ValueError(f"the schema gives {channel_count(schema)} input channels ({known_channels(schema)} known "
                         f"ahead), the network takes {input_size} ({known})")


def covariate_scalers(series: Series, n_train: int) -> list[Scaler]:
    """One standard scaler per covariate column, fitted on the training part (as the target's is)."""
    if series.covariates is None:
        return []
    return [fit_scaler("standard", column) for column in series.covariates[:n_train].T]


def input_channels(series: Series, schema: Schema, scaler: Scaler, cov_scalers: list[Scaler], end: int,
                   ahead: int = 0) -> np.ndarray:
    """The first `end` steps of a series as network input (end, C), then `ahead` forecast rows.

    The forecast rows carry only what is known ahead (future covariates and calendar); the
    target and past covariates there are zero, and the windows never show them anyway.
    """
    rows = [scaler.transform(series.values[:end])[:, None]]
    if series.covariates is not None:
        rows.append(np.column_stack([sc.transform(c) for sc, c in zip(cov_scalers, series.covariates[:end].T)]))
    if schema.calendar:
        rows.append(calendar_values(series.time[:end], schema.calendar))
    channels = np.concatenate(rows, axis=1) if len(rows) > 1 else rows[0]
    if not ahead:
        return channels
    return np.concatenate([channels, _forecast_rows(series, schema, cov_scalers, end, ahead)])


def _forecast_rows(series: Series, schema: Schema, cov_scalers: list[Scaler], end: int, ahead: int) -> np.ndarray:
    """(ahead, C) rows after step `end`: zeros but for the future covariates and the calendar."""
    rows = np.zeros((ahead, channel_count(schema)))
    past = len(schema.covariates)
    if schema.future_covariates:
        # Rows past those given stay zero: the decoder reads each step's row alone, so they can only
        # change the forecasts of steps that predict checked were not asked for.
        future = np.zeros((0, len(schema.future_covariates))) if series.future is None else series.future[:ahead]
        scalers = cov_scalers[past:]
        rows[: len(future), 1 + past : 1 + past + len(scalers)] = np.column_stack(
            [sc.transform(c) for sc, c in zip(scalers, future.T)])
    if schema.calendar:
        times = future_index(series.time[end - 1], schema.freq, ahead)
        rows[:, -2 * len(schema.calendar):] = calendar_values(times, schema.calendar)
    return rows
