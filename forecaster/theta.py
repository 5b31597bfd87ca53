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
    lengths = np.array([min(len(h), MAX_HISTORY) for h in histories])
    # Right-aligned, each padded on the left with its first value: SES starts from that value, so the
    # padding changes neither its levels nor its errors, and every history runs through one recursion.
    padded, slopes = np.empty((len(histories), lengths.max())), np.zeros(len(histories))
    factor, shift = np.ones((len(histories), horizon)), np.zeros((len(histories), horizon))
    # Histories of one length (all but the first few of a backtest's) are adjusted together, a block at a time.
    for rows in _rows_by_length(lengths):
        n = lengths[rows[0]]
        y, factor[rows], shift[rows] = _seasonally_adjusted(
            np.stack([np.asarray(histories[i][-n:], dtype=np.float64) for i in rows]), season, horizon)
        padded[rows, : padded.shape[1] - n], padded[rows, padded.shape[1] - n:] = y[:, :1], y
        slopes[rows] = _slopes(y)
    return _ses_with_drift(padded, lengths, slopes, horizon) * factor + shift


def _seasonally_adjusted(y: np.ndarray, season: int, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, n) the histories `y` with their season taken out where it is significant, and the (W, H) factor and
    shift that put it back into their forecasts: a positive history's is multiplied by its indices ahead, any
    other's shifted by them."""
    factor, shift = np.ones((len(y), horizon)), np.zeros((len(y), horizon))
    seasonal = are_seasonal(y, season)
    if not seasonal.any():
        return y, factor, shift
    part, n = y[seasonal], y.shape[1]
    indices, positive = seasonal_indices_of(part, season), part.min(axis=1) > 0
    within = indices[:, np.arange(n) % season]  # each step's index, from the history's first
    ahead = indices[:, (n + np.arange(horizon)) % season]  # and the steps after it
    adjusted = y.copy()
    adjusted[seasonal] = np.where(positive[:, None], part / within, part - within)
    rows = np.flatnonzero(seasonal)
    factor[rows[positive]], shift[rows[~positive]] = ahead[positive], ahead[~positive]
    return adjusted, factor, shift


BLOCK = 256  # histories adjusted at once: a block's arrays stay in the CPU's cache (benchmarks/RESULTS.md)


def _rows_by_length(lengths: np.ndarray) -> list[np.ndarray]:
    """The positions of the histories of each length, in blocks of at most BLOCK."""
    groups = [np.flatnonzero(lengths == n) for n in np.unique(lengths)]
    return [rows[i: i + BLOCK] for rows in groups for i in range(0, len(rows), BLOCK)]


def is_seasonal(y: np.ndarray, season: int) -> bool:
    """Whether the autocorrelation at lag `season` exceeds its 90 % bound (needs three seasons of history)."""
    return bool(are_seasonal(np.asarray(y, dtype=np.float64)[None], season)[0])


def are_seasonal(y: np.ndarray, season: int) -> np.ndarray:
    """(W,) `is_seasonal` of each row of the (W, n) histories `y`."""
    count, n = y.shape
    if season < 2 or n < 3 * season:
        return np.zeros(count, dtype=bool)
    centred = y - y.mean(axis=1, keepdims=True)
    denominator = np.einsum("ij,ij->i", centred, centred)
    lags = np.stack([np.einsum("ij,ij->i", centred[:, k:], centred[:, : n - k]) for k in range(1, season + 1)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant history has no autocorrelation: not seasonal
        r = lags / denominator[:, None]
        bound = SEASONAL_BOUND * np.sqrt((1 + 2 * np.sum(r[:, :-1] ** 2, axis=1)) / n)
        return (denominator > 0) & (np.abs(r[:, -1]) > bound)


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray:
    """(season,) classical decomposition's indices, by position from the history's first step.

    Multiplicative (mean 1) for positive series, else additive (mean 0): the ratio (or difference)
    to a centred moving average, averaged per position.
    """
    return seasonal_indices_of(np.asarray(y, dtype=np.float64)[None], season)[0]


def seasonal_indices_of(y: np.ndarray, season: int) -> np.ndarray:
    """(W, season) `seasonal_indices` of each row of the (W, n) histories `y`."""
    weights = np.full(season + 1, 1.0 / season) if season % 2 == 0 else np.full(season, 1.0 / season)
    if season % 2 == 0:
        weights[[0, -1]] = 0.5 / season
    width = y.shape[1] - len(weights) + 1
    trend = sum(w * y[:, j: j + width] for j, w in enumerate(weights))  # the centred moving average, (W, width)
    offset = (len(weights) - 1) // 2
    core = y[:, offset: offset + width]
    positive = y.min(axis=1, keepdims=True) > 0
    positions = (np.arange(width) + offset) % season
    with np.errstate(invalid="ignore", divide="ignore"):  # the ratios of a row that is not positive are not used
        detrended = np.where(positive, core / trend, core - trend)
        means = (detrended @ np.eye(season)[positions]) / np.bincount(positions, minlength=season)
        centre = means.mean(axis=1, keepdims=True)
        return np.where(positive, means / centre, means - centre)


def _ses_with_drift(y: np.ndarray, lengths: np.ndarray, slopes: np.ndarray, horizon: int) -> np.ndarray:
    """(W, H) SES's flat forecast plus half the straight-line slope, grown as Hyndman & Billah's form has it.

    `y` holds the histories right-aligned and left-padded with their first values; `lengths` their own lengths.
    """
    alpha, level = _best_alphas_and_levels(y)
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    n = lengths[:, None]
    return level[:, None] + 0.5 * slopes[:, None] * (steps - 1 + 1 / alpha[:, None] - (1 - alpha[:, None]) ** n / alpha[:, None])


def _best_alphas_and_levels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W,) each row's smoothing weight with the least squared one-step error (a coarse grid, then a fine one),
    and (W,) its SES level after the row's last value."""
    values = np.ascontiguousarray(y.T)  # (n, W): one step of every history is contiguous
    coarse = np.linspace(0.01, 1.0, 34)
    errors, _ = _squared_errors(values, np.broadcast_to(coarse[:, None], (len(coarse), len(y))))
    best = coarse[np.argmin(errors, axis=0)]
    fine = np.clip(best[None, :] + np.linspace(-0.03, 0.03, 13)[:, None], 0.01, 1.0)
    errors, levels = _squared_errors(values, fine)
    pick, rows = np.argmin(errors, axis=0), np.arange(len(y))
    return fine[pick, rows], levels[pick, rows]


def _squared_errors(values: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, W) the summed squared one-step errors of SES over the W histories `values` (n, W) with the (A, W)
    weights, and (A, W) the levels after their last values."""
    # In place over contiguous arrays: a backtest runs this over thousands of histories.
    level, total = np.repeat(values[:1], len(alphas), axis=0), np.zeros(alphas.shape)
    error, term = np.empty(alphas.shape), np.empty(alphas.shape)
    for row in values[1:]:
        np.subtract(row, level, out=error)
        total += np.multiply(error, error, out=term)
        level += np.multiply(alphas, error, out=term)
    return total, level


def _slopes(y: np.ndarray) -> np.ndarray:
    """(W,) the least-squares slope of each row of `y` against its step number (0 for a single value)."""
    n = y.shape[1]
    if n == 1:
        return np.zeros(len(y))
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2
    return ((y - y.mean(axis=1, keepdims=True)) @ t) / (t @ t)


# The shares of Theta's forecast a fit chooses among: 0, 0.05, ..., 1 (quarters left up to an eighth unchosen;
# benchmarks/RESULTS.md, "The Theta share in steps of 0.05").
SHARES = tuple(i / 20 for i in range(21))


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
