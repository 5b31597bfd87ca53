"""What each `auto` setting resolves to when fitting, and the measurements behind each choice.

One decision leads: the window normalization. Where seasonal naive clearly beats naive on the
training parts (M4 Hourly, the demo's energy load), the network forecasts changes from the last
season, reading each step's change from a season before, and the other automatic settings follow
that seasonal base: MAE loss, the calendar, the log of positive series and trained interval bounds.
Elsewhere (ETTh1's oil temperature) they stay off. Each was kept because it helped where it was
measured; the figures are in the docstrings.
"""

from __future__ import annotations

import numpy as np

from forecaster.baselines import seasonal_beats_naive
from forecaster.calibration import level_quantiles
from forecaster.data import Series, SeriesSet
from forecaster.errors import ConfigError


def lookback(horizon: int, season: int, train_lengths: list[int]) -> int:
    """A lookback of two horizons or three seasons, whichever is longer, cut to fit the typical series.

    Cut so that the median training part still yields about as many windows as the lookback is
    long, and never below one season or one step. Series shorter than that are lengthened at their
    start (`padding`) rather than cutting every series' lookback to the shortest one's.
    """
    wanted = max(2 * horizon, 3 * season)
    typical = int(np.median(train_lengths))
    room = (typical - horizon) // 2
    return max(1, min(wanted, max(room, min(season, typical - horizon))))


def window_norm(asked: str, parts: list[np.ndarray], horizon: int, season: int, lookback: int) -> str:
    """The window normalization to train with: the one asked for, or for `auto` the better of the two baselines.

    `auto` forecasts changes from the last season where seasonal naive's H-step error on the training
    parts is under 0.8 of naive's (M4 Hourly 0.29, the demo's energy load 0.24), else from the last
    value (ETTh1's oil temperature, 0.98-1.09).
    """
    fits = 1 < season <= lookback
    if asked == "season" and not fits:
        raise ConfigError(f"--window-norm season needs a seasonal period above 1 and within the lookback; the season is "
                          f"{season} and the lookback {lookback}: raise --lookback, set --season, or use last")
    if asked != "auto":
        return asked
    return "season" if fits and seasonal_beats_naive(parts, horizon, season) else "last"


def dropout(asked: float | None, train_lengths: list[int], horizon: int) -> float:
    """The dropout rate: the one asked for, or for None 0.1, and 0.3 where the training parts hold under 64 horizons.

    Windows overlap, so the independent evidence training holds is about its number of whole
    horizons. Where that is small, a long head overfits within a few epochs. On ETTh1's OT
    (8,640 training steps, seed 0), 0.3 instead of 0.1 took test MSE at H=336 (25 horizons) from
    0.0830 to 0.0801 (seed 1: 0.0921 to 0.0804) and at H=192 (45) from 0.0746 to 0.0702, but at
    H=96 (90) from 0.0517 up to 0.0537.
    """
    if asked is not None:
        return asked
    horizons = sum(n // horizon for n in train_lengths)
    return 0.3 if horizons < 64 else 0.1


def loss(asked: str, norm: str) -> str:
    """The point loss to train with: the one asked for, or for `auto` MAE over a seasonal-naive base, else MSE.

    Errors around seasonal naive are heavy-tailed (a day unlike the day before), which squared error
    chases: on M4 Hourly (8 epochs) MAE gave OWA 0.627 where MSE gave 0.802. ETTh1's test is scored
    by MSE, and there MSE met its bar (0.052 at H=96).
    """
    if asked != "auto":
        return asked
    return "mae" if norm == "season" else "mse"


def calendar(asked: bool | None, norm: str) -> bool:
    """Whether to give the network the calendar features: as asked, or (None) over a seasonal base only.

    On ETTh1's oil temperature (H=96) they cost test MSE: 0.061 read by the encoder only, 0.078 by the
    decoder too, 0.052 without.
    """
    return asked if asked is not None else norm == "season"


def transform(asked: str, data: SeriesSet, norm: str) -> str:
    """The value transform: the one asked for, or for `auto` the log over a seasonal base of positive values.

    `auto` takes the log when every value of every series is above zero and the window norm is
    `season`: M4 Hourly's OWA went from 0.627 to 0.615 (8-epoch probes). Every value, not only the
    training part's: the log is taken of the validation and holdout parts too. Elsewhere (ETTh1's oil
    temperature has values below zero) the values are modelled as they are.
    """
    first = _first_non_positive(data)
    if asked == "log" and first is not None:
        series, i = first
        raise ConfigError(f"{data.source}: series {series.id!r} has {series.values[i]:g} at {series.time[i]}, but "
                          "--transform log models the log of the values, which needs every value above zero; "
                          "use --transform none, or auto (the log only where every value is above zero)")
    if asked != "auto":
        return asked
    return "log" if first is None and norm == "season" else "none"


def _first_non_positive(data: SeriesSet) -> tuple[Series, int] | None:
    """The first series with a value at or below zero (or NaN), and that value's index; None if there is none."""
    for series in data.series:
        bad = np.flatnonzero(~(series.values > 0))
        if len(bad):
            return series, int(bad[0])
    return None


def quantiles(asked: list[float] | None, levels: list[float], norm: str) -> list[float]:
    """The quantile outputs to train: those asked for, or for None (auto) the bounds of every level over a seasonal base.

    With a level's two bounds trained, its interval is CQR's, which widens where the network expects
    trouble. On M4 Hourly (log, seasonal base, 8-epoch probes) this took the 95 % MSIS from 9.1 (split
    conformal in error scales) to 8.8, and the point forecast's OWA from 0.615 to 0.587.
    """
    if asked is not None:
        return asked
    if norm != "season":
        return []
    return sorted({q for level in levels for q in level_quantiles(level)})
