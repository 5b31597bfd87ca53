"""Chronological splits and sliding windows as views over one tensor.

All series are stacked end to end into one (T, C) tensor; `Tensor.unfold` gives
every window as a view of it, and a window is named by its start row. Only the
rows of a batch are ever gathered, so memory grows with the data, not with
data x lookback (SPEC §6). Windows that would straddle two series are simply
never named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from forecaster.errors import ConfigError

VAL_WINDOWS_WANTED = 20_000  # validation windows, across all series, that early stopping and calibration need


@dataclass(frozen=True)
class Split:
    """Where a series of length n is cut: [0, n_train) fits, [n_train, n_fit) validates, the rest is held out."""

    n_train: int
    n_fit: int


def split_bounds(n: int, holdout: int, val_size: int | None, horizon: int, series: int = 1) -> Split:
    """The chronological split of one of `series` series; the validation part holds at least one horizon."""
    n_fit = n - holdout
    val = val_size if val_size is not None else default_val_size(n_fit, horizon, series)
    return Split(n_train=n_fit - val, n_fit=n_fit)


def default_val_size(n_fit: int, horizon: int, series: int) -> int:
    """20 % of the fitted steps, but over many series no more than about VAL_WINDOWS_WANTED windows in all need.

    The steps validation takes are the most recent, which training then never sees; over many series
    fewer of them served better (benchmarks/RESULTS.md, "Why the defaults").
    """
    enough = horizon - 1 + math.ceil(VAL_WINDOWS_WANTED / series)
    return max(horizon, min(round(0.2 * n_fit), enough))


def stacked(arrays: list[np.ndarray]) -> tuple[torch.Tensor, np.ndarray]:
    """All series end to end as one float32 (T, C) tensor, and each series' first row."""
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    data = torch.from_numpy(np.concatenate(arrays).astype(np.float32, copy=False))
    return data, offsets


def origin_starts(offset: int, origins: np.ndarray, lookback: int) -> np.ndarray:
    """Input-window start rows for forecasts whose first target step is at each origin."""
    return offset + np.asarray(origins, dtype=np.int64) - lookback


class WindowSet:
    """Windows over a stacked tensor, named by start row; `batch` gathers only the rows asked for.

    With `known` known-ahead channels (the last ones), an input window runs on through the H
    forecast steps, where everything but those channels is zeroed: the network can read the
    future covariates of the steps it forecasts, and nothing else of them.
    """

    def __init__(self, data: torch.Tensor, starts: np.ndarray, lookback: int, horizon: int, known: int = 0) -> None:
        self.data = data
        self.lookback = lookback
        self.horizon = horizon
        self.known = known
        self.starts = torch.as_tensor(starts, dtype=torch.long)
        span = lookback + horizon if known else lookback
        self._inputs = data.unfold(0, span, 1)  # (T, C) -> (T - span + 1, C, span), a view
        self._targets = data[:, 0].unfold(0, horizon, 1) if len(data) >= horizon else None  # (T - H + 1, H)

    def __len__(self) -> int:
        return len(self.starts)

    def inputs(self, rows: torch.Tensor) -> torch.Tensor:
        """Input windows of the given rows: (B, L, C), or (B, L + H, C) with known-ahead channels."""
        windows = self._inputs[self.starts[rows]].transpose(1, 2)  # (B, C, span) -> (B, span, C), a gathered copy
        if self.known:
            windows[:, self.lookback:, : -self.known] = 0.0  # the target and past covariates are unknown there
        return windows

    def targets(self, rows: torch.Tensor) -> torch.Tensor:
        """The target-channel values of the H steps after each input window: (B, H)."""
        if self._targets is None:
            raise ConfigError("the series are shorter than one horizon")
        return self._targets[self.starts[rows] + self.lookback]

    def batches(self, batch_size: int, rows: torch.Tensor | None = None):
        """Yield (inputs, targets) batches of the given window rows (default: all, in order)."""
        rows = torch.arange(len(self)) if rows is None else rows
        for chunk in rows.split(batch_size):
            yield self.inputs(chunk), self.targets(chunk)

    def spread(self, limit: int) -> WindowSet:
        """At most `limit` windows, evenly spaced: a fixed, representative subset (a copy of the starts only)."""
        if len(self) <= limit:
            return self
        picked = torch.linspace(0, len(self) - 1, limit).round().long()
        return WindowSet(self.data, self.starts[picked], self.lookback, self.horizon, self.known)


def actuals(values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The H values from each origin of one series: (W,) origins -> (W, H)."""
    return values[np.asarray(origins)[:, None] + np.arange(horizon)[None, :]]


def all_actuals(values: list[np.ndarray], origins: list[np.ndarray], horizon: int) -> np.ndarray:
    """`actuals` of every series' origins, series by series: (W, H) for W origins in all."""
    return np.concatenate([actuals(v, o, horizon) for v, o in zip(values, origins)])


def series_of_windows(origins: list[np.ndarray]) -> np.ndarray:
    """(W,) the index of the series each window belongs to, series by series."""
    return np.concatenate([np.full(len(o), i) for i, o in enumerate(origins)])
