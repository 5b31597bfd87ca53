"""Naive and seasonal-naive forecasts: the bars a model must clear."""

from __future__ import annotations

import numpy as np


def naive(values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last value before each origin: (W,) origins -> (W, H)."""
    return np.repeat(values[np.asarray(origins) - 1][:, None], horizon, axis=1)


def seasonal_naive(values: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Repeat the last full season before each origin: (W,) origins -> (W, H).

    Step h (0-based) takes the value one season before it, wrapping within the
    last observed season: values[origin - season + h % season].
    """
    if season <= 1:
        return naive(values, origins, horizon)
    steps = np.arange(horizon) % season
    return values[np.asarray(origins)[:, None] - season + steps[None, :]]


def seasonal_naive_interval(values: np.ndarray, origins: np.ndarray, horizon: int, season: int, history: np.ndarray,
                            level: float) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal naive ± the empirical quantiles of its own in-sample errors, per step: (W, H) lower and upper.

    A central `level` % interval whose step-h bounds are the (1 - level)/2 and (1 + level)/2
    quantiles of the seasonal-naive errors h steps ahead over `history` (the training part).
    """
    center = seasonal_naive(values, origins, horizon, season)
    tail = (1.0 - level / 100.0) / 2.0
    # Steps within one season share their lag, so each lag's quantiles serve a whole season of steps.
    lags = [_lag(len(history), h, season) for h in range(horizon)]
    quantiles = {lag: np.quantile(_lagged_errors(history, lag), [tail, 1.0 - tail]) for lag in set(lags)}
    bounds = np.array([quantiles[lag] for lag in lags])
    return center + bounds[None, :, 0], center + bounds[None, :, 1]  # (H, 2) -> (W, H) each


def _lag(length: int, step: int, season: int) -> int:
    """How far back the seasonal-naive forecast of 0-based `step` reaches: whole seasons, within a history of `length`."""
    season = max(season, 1)
    return min(season * (step // season + 1), length - 1)  # a history too short for the lag uses what it has


def _lagged_errors(history: np.ndarray, lag: int) -> np.ndarray:
    """In-sample errors of the seasonal-naive forecast that reaches `lag` steps back (none: a zero)."""
    if lag < 1:
        return np.zeros(1)
    return history[lag:] - history[:-lag]


# Seasonal naive must beat naive by this factor to count as clearly better; the ratios measured lie far on
# either side of it (benchmarks/RESULTS.md, "Why the defaults").
CLEARLY_BETTER = 0.8


def seasonal_beats_naive(parts: list[np.ndarray], horizon: int, season: int) -> bool:
    """Whether seasonal naive forecasts these series' training parts clearly better than naive, H steps at a time.

    Errors are divided by each series' spread, so that every series has one say; on a series
    shorter than one season and a horizon there is nothing to compare, and naive keeps the say.
    """
    if season <= 1:
        return False
    naive_error, seasonal_error = 0.0, 0.0
    for values in parts:
        # A few hundred origins per series decide as well as all of them, at a fraction of the cost on long ones.
        origins = np.arange(season, len(values) - horizon + 1)
        origins = origins[:: max(1, len(origins) // 256)]
        if not len(origins):
            continue
        actual = values[origins[:, None] + np.arange(horizon)[None, :]]
        spread = np.std(values) or 1.0
        naive_error += np.abs(actual - naive(values, origins, horizon)).mean() / spread
        seasonal_error += np.abs(actual - seasonal_naive(values, origins, horizon, season)).mean() / spread
    return seasonal_error < CLEARLY_BETTER * naive_error
