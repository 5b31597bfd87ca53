"""The network's input channels: the scaled target, the covariates, and calendar features.

Channel order is fixed: target, past covariates, calendar (sin, cos of each feature), future
covariates. The future covariates are known ahead, so they come last: the network and the
windows address them as "the last `known` channels". The calendar is not among them: the
calendar of every forecast step follows from the origin's, which the encoder reads; feeding it
to the per-step decoder as well cost accuracy (benchmarks/RESULTS.md, "Why the defaults").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.data import Schema, Series
from forecaster.scaling import Scaler, fit_scaler
from forecaster.data.timeaxis import STEPS, axis_step, future_index

# Each calendar feature, its cycle, and the phase of a timestamp in that cycle (0 to 1).
# The fields are taken as numpy arrays: arithmetic on pandas Indexes costs more than the fields themselves.
CYCLES = {
    "hour": (pd.Timedelta(days=1), lambda t: (t.hour.to_numpy() + t.minute.to_numpy() / 60) / 24),
    "weekday": (pd.Timedelta(days=7), lambda t: t.day_of_week.to_numpy() / 7),
    "month": (pd.Timedelta(days=365.25), lambda t: (t.month.to_numpy() - 1) / 12),
}
# A feature is only learnable when the training data shows its cycle repeat: with one year of
# data, "month" would only teach the network the single level each month happened to have.
MIN_CYCLES = 2


def calendar_features(series: list[Series], n_train: list[int], freq: str) -> list[str]:
    """The calendar features these series can teach: each varies between steps and repeats in training.

    A feature that never changes over the training timestamps (the month of yearly data, a time of day
    always at midnight) teaches nothing, whatever the step says.
    """
    if freq == STEPS or not series:
        return []
    spans = [s.time[n - 1] - s.time[0] for s, n in zip(series, n_train)]
    step = min((s.time[1] - s.time[0] for s in series if len(s) > 1), default=None)
    if step is None:
        return []
    widest = max(range(len(series)), key=spans.__getitem__)
    times = pd.DatetimeIndex(series[widest].time[: n_train[widest]])
    return [name for name, (cycle, phase) in CYCLES.items()
            if step < cycle and spans[widest] >= MIN_CYCLES * cycle and np.ptp(phase(times)) > 0]


SHARE_SERIES = 256  # series a calendar feature's explained share is measured on, evenly spread: enough to tell
SHARE_ROWS = 2_000_000  # changes it is measured on in all, the latest of each series: bounded memory on long files


def explained_share(series: list[Series], n_train: list[int], name: str, season: int) -> float:
    """The share of the variance of the change from a season before (y_t - y_t-season, over the training parts) that
    calendar feature `name` explains: the variance of the change's mean by the feature's value, over the variance.

    Each series' changes are divided by their spread first, so that every series has one say.
    """
    picked = np.unique(np.linspace(0, len(series) - 1, min(len(series), SHARE_SERIES)).astype(int))
    rows = SHARE_ROWS // max(1, len(picked))
    changes, phases = [], []
    for i in picked:
        values, n = series[i].values, n_train[i]
        first = max(season, n - rows)
        if n - first < 2:
            continue
        change = values[first:n] - values[first - season: n - season]
        spread = np.std(change)
        if not spread > 0:
            continue
        changes.append(change / spread)
        phases.append(np.round(CYCLES[name][1](pd.DatetimeIndex(series[i].time[first:n])), 6))
    if not changes:
        return 0.0
    frame = pd.DataFrame({"change": np.concatenate(changes), "phase": np.concatenate(phases)})
    means = frame.groupby("phase")["change"].transform("mean")
    return float(np.var(means) / np.var(frame["change"]))


def calendar_values(time: pd.Index, names: list[str]) -> np.ndarray:
    """(n, 2 * features): the sine and cosine of each feature's phase, so that its cycle closes smoothly."""
    columns = []
    for name in names:
        phase = 2 * np.pi * np.asarray(CYCLES[name][1](pd.DatetimeIndex(time)), dtype=np.float64)
        columns += [np.sin(phase), np.cos(phase)]
    return np.stack(columns, axis=1) if columns else np.zeros((len(time), 0))


def known_channels(schema: Schema) -> int:
    """How many trailing input channels are known ahead: the future covariates."""
    return len(schema.future_covariates)


def channel_count(schema: Schema) -> int:
    """All input channels: the target, past covariates, calendar, then the known-ahead ones."""
    return 1 + len(schema.covariates) + 2 * len(schema.calendar) + known_channels(schema)


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
    """The first `end` steps of a series as network input (end, C) float32, then `ahead` forecast rows.

    The forecast rows carry only what is known ahead (the future covariates); every other
    channel there is zero, and the windows never show them anyway.
    """
    channels, _ = stacked_channels([series], schema, [scaler], [cov_scalers], [0], [end], [ahead])
    return channels


def stacked_channels(series: list[Series], schema: Schema, scalers: list[Scaler], cov_scalers: list[list[Scaler]],
                     starts, ends, ahead) -> tuple[np.ndarray, np.ndarray]:
    """Steps `starts[i]:ends[i]` of every series i as network input, each followed by `ahead[i]` forecast rows.

    All series end to end as one (T, C) array, and each series' first row in it. Each channel is
    computed for all rows at once (per-series pandas calls cost more than the arithmetic), in float64,
    and stored as float32, the network's type: half the memory of float64 rows for many long series.
    """
    starts, ends, ahead = (np.asarray(a, dtype=np.int64) for a in (starts, ends, ahead))
    given = ends - starts  # (S,) the steps of each series with values
    lengths = given + ahead
    offsets = np.cumsum(lengths) - lengths
    channels = np.zeros((int(lengths.sum()), channel_count(schema)), dtype=np.float32)  # (T, C)
    rows = _ranges(offsets, given)  # the rows of given steps; the forecast rows stay zero but for what is known
    target = np.array([(sc.center, sc.scale) for sc in scalers], dtype=np.float64)  # (S, 2)
    channels[rows, 0] = _scaled([s.values[a:b] for s, a, b in zip(series, starts, ends)], target, given)
    past, width = len(schema.covariates), len(schema.covariates) + len(schema.future_covariates)
    known = known_channels(schema)
    if width:
        covariate = np.array([[(sc.center, sc.scale) for sc in cs] for cs in cov_scalers],
                             dtype=np.float64).reshape(len(series), width, 2)  # (S, K, 2)
        scaled = _scaled([s.covariates[a:b] for s, a, b in zip(series, starts, ends)], covariate, given)
        channels[rows, 1:1 + past] = scaled[:, :past]
        if known:
            channels[rows, -known:] = scaled[:, past:]
    if known:
        # Rows past those given stay zero: the decoder reads each step's row alone, so they can only
        # change the forecasts of steps that predict checked were not asked for.
        future = [np.zeros((0, known)) if s.future is None else s.future[:n] for s, n in zip(series, ahead)]
        counts = np.array([len(f) for f in future], dtype=np.int64)
        channels[_ranges(offsets + given, counts), -known:] = _scaled(future, covariate[:, past:], counts)
    if schema.calendar:
        # Only the given rows: the network never reads the calendar of a forecast step (see the module docstring).
        times = _row_times(series, starts, ends, [s.time[:0] for s in series])
        channels[rows, 1 + past:1 + past + 2 * len(schema.calendar)] = calendar_values(times, schema.calendar)
    return channels, offsets


def _scaled(parts: list[np.ndarray], scalers: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each series' part (counts[i] rows) scaled by its own scalers ((S, 2) or (S, K, 2): center, scale), end to end."""
    return ((np.concatenate(parts) - np.repeat(scalers[..., 0], counts, axis=0))
            / np.repeat(scalers[..., 1], counts, axis=0))


def _row_times(series: list[Series], starts: np.ndarray, ends: np.ndarray, future: list[pd.Index]) -> pd.Index:
    """(T,) the timestamp of every row of `stacked_channels`: each series' given steps, then its forecast steps."""
    pieces = [piece for s, a, b, f in zip(series, starts, ends, future) for piece in (s.time[a:b], f) if len(piece)]
    if len(pieces) <= 1:
        return pieces[0] if pieces else series[0].time[:0]
    return pieces[0].append(pieces[1:])


def future_steps(series: list[Series], ends, ahead, freq: str) -> list[pd.Index]:
    """The `ahead[i]` timestamps (or integer steps) after step `ends[i]` of each series i.

    Series that end together share one index: building it is what costs, and many series end at one time.
    """
    made: dict[tuple, pd.Index] = {}
    steps = []
    for s, end, n in zip(series, ends, ahead):
        if not n:
            steps.append(s.time[:0])
            continue
        last, step = s.time[end - 1], axis_step(s.time)
        key = (last, str(getattr(last, "tz", None)), getattr(last, "unit", None), step, int(n))
        if key not in made:
            made[key] = future_index(last, freq, int(n), step)
        steps.append(made[key])
    return steps


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`starts[i]`, `starts[i] + 1`, ... (`lengths[i]` of them) for every i, end to end."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) + np.repeat(starts - (ends - lengths), lengths)

