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
