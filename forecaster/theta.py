"""The Theta method (Assimakopoulos & Nikolopoulos, 2000): the statistical forecast the network's is blended with.

Theta is simple exponential smoothing plus half the slope of the series' straight-line trend
(Hyndman & Billah, 2003), on seasonally adjusted values where the season is significant (the M3
test: the autocorrelation at one season beyond its 90 % bound). It won the M3 competition and is
hard to beat on short business series; see `blend` for how much of it a model takes.

Written here rather than called from statsmodels: its ThetaModel takes about 20 ms a series, and a
fit needs it at thousands of validation origins.
"""

from __future__ import annotations

import numpy as np

MAX_HISTORY = 400  # steps before an origin that Theta reads: its straight line describes the recent past
SEASONAL_BOUND = 1.645  # one-sided 95 %, two-sided 90 %: the M3 competition's seasonality test


def theta_forecasts(histories: list[np.ndarray], horizon: int, season: int) -> np.ndarray:
    """(W, H): the Theta forecast of the `horizon` steps after each history (at least one value each)."""
    if not histories:
        return np.zeros((0, horizon))
    ys = [np.asarray(h[-MAX_HISTORY:], dtype=np.float64) for h in histories]
    adjustments = [_seasonal_adjustment(y, season) for y in ys]
    adjusted = [y if a is None else (y / _tiled(a[0], len(y)) if a[1] else y - _tiled(a[0], len(y)))
                for y, a in zip(ys, adjustments)]
    paths = _ses_with_drift(adjusted, horizon)
    for i, (y, a) in enumerate(zip(ys, adjustments)):
        if a is not None:
            future = _tiled(np.roll(a[0], -(len(y) % season)), horizon)  # the indices of the steps after the history
            paths[i] = paths[i] * future if a[1] else paths[i] + future
    return paths


def _seasonal_adjustment(y: np.ndarray, season: int) -> tuple[np.ndarray, bool] | None:
    """A significant season's indices and whether they multiply (positive series) or add; None without one."""
    if not is_seasonal(y, season):
        return None
    return seasonal_indices(y, season), bool(y.min() > 0)


def is_seasonal(y: np.ndarray, season: int) -> bool:
    """Whether the autocorrelation at lag `season` exceeds its 90 % bound (needs three seasons of history)."""
    if season < 2 or len(y) < 3 * season:
        return False
    centred = y - y.mean()
    denominator = centred @ centred
    if denominator == 0:
        return False
    r = np.array([centred[k:] @ centred[: len(y) - k] for k in range(1, season + 1)]) / denominator
    bound = SEASONAL_BOUND * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / len(y))
    return bool(abs(r[-1]) > bound)


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray:
    """(season,) classical decomposition's indices, by position from the history's first step.

    Multiplicative (mean 1) for positive series, else additive (mean 0): the ratio (or difference)
    to a centred moving average, averaged per position.
    """
    weights = np.full(season + 1, 1.0 / season) if season % 2 == 0 else np.full(season, 1.0 / season)
    if season % 2 == 0:
        weights[[0, -1]] = 0.5 / season
    trend = np.convolve(y, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    core = y[offset: offset + len(trend)]
    positive = y.min() > 0
    detrended = core / trend if positive else core - trend
    positions = (np.arange(len(trend)) + offset) % season
    means = np.bincount(positions, detrended, season) / np.bincount(positions, minlength=season)
    return means / means.mean() if positive else means - means.mean()


def _ses_with_drift(series: list[np.ndarray], horizon: int) -> np.ndarray:
    """(W, H) SES's flat forecast plus half the straight-line slope, grown as Hyndman & Billah's form has it."""
    lengths = np.array([len(y) for y in series])
    # Right-aligned, each padded on the left with its first value: SES starts from that value, so the
    # padding changes neither its levels nor its errors, and every series runs through one recursion.
    y = np.stack([np.pad(v, (lengths.max() - len(v), 0), mode="edge") for v in series])
    alpha = _best_alphas(y)
    level = _final_levels(y, alpha[:, None])[:, 0]
    slope = _slopes(series)
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    n = lengths[:, None]
    return level[:, None] + 0.5 * slope[:, None] * (steps - 1 + 1 / alpha[:, None] - (1 - alpha[:, None]) ** n / alpha[:, None])


def _best_alphas(y: np.ndarray) -> np.ndarray:
    """(W,) each row's smoothing weight with the least squared one-step error: a coarse grid, then a fine one."""
    coarse = np.linspace(0.01, 1.0, 34)
    best = coarse[np.argmin(_squared_errors(y, np.broadcast_to(coarse, (len(y), len(coarse)))), axis=1)]
    fine = np.clip(best[:, None] + np.linspace(-0.03, 0.03, 13), 0.01, 1.0)
    return fine[np.arange(len(y)), np.argmin(_squared_errors(y, fine), axis=1)]


def _squared_errors(y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """(W, A) the summed squared one-step errors of SES with each row's weights."""
    level, total = np.repeat(y[:, :1], alphas.shape[1], axis=1), np.zeros(alphas.shape)
    for t in range(1, y.shape[1]):
        error = y[:, t: t + 1] - level
        total += error * error
        level = level + alphas * error
    return total


def _final_levels(y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """(W, A) the SES level after each row's last value."""
    level = np.repeat(y[:, :1], alphas.shape[1], axis=1)
    for t in range(1, y.shape[1]):
        level = level + alphas * (y[:, t: t + 1] - level)
    return level


def _slopes(series: list[np.ndarray]) -> np.ndarray:
    """(W,) the least-squares slope of each series against its step number (0 for a single value)."""
    slopes = np.zeros(len(series))
    for i, v in enumerate(series):
        if len(v) > 1:
            t = np.arange(len(v), dtype=np.float64) - (len(v) - 1) / 2
            slopes[i] = (t @ (v - v.mean())) / (t @ t)
    return slopes


def _tiled(indices: np.ndarray, length: int) -> np.ndarray:
    return np.resize(indices, length)


SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)  # the shares of Theta's forecast a fit chooses among


def blended(output: np.ndarray, statistical: np.ndarray, share: float) -> np.ndarray:
    """(W, H, 1 + Q) network output with `share` of its point forecast taken from Theta's; the quantiles move with it."""
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite network output is refused downstream
        shift = share * (statistical - output[..., 0])
        return output + shift[..., None]


def best_share(network: np.ndarray, statistical: np.ndarray, actual: np.ndarray, scales: np.ndarray) -> float:
    """The share of Theta's forecast (among SHARES) with the least mean scaled absolute error; ties go to the network."""
    errors = [float(np.mean(np.abs(actual - ((1 - s) * network + s * statistical)).mean(axis=1) / scales))
              for s in SHARES]
    return SHARES[int(np.argmin(errors))]
