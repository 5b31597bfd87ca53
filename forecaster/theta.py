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
    span = season + 1 if season % 2 == 0 else season  # an even season's average spans one more step, its ends halved
    width = y.shape[1] - span + 1
    sums = np.cumsum(np.pad(y, ((0, 0), (1, 0))), axis=1)
    trend = sums[:, span: span + width] - sums[:, :width]  # each span's sum, (W, width)
    if season % 2 == 0:
        trend -= 0.5 * (y[:, :width] + y[:, span - 1: span - 1 + width])
    trend /= season  # the centred moving average
    offset = (span - 1) // 2
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
    changes = np.diff(y, axis=1)  # (W, N)
    lags, recent = _autocovariances(changes), np.ascontiguousarray(changes[:, ::-1])
    squares = np.einsum("ij,ij->i", changes, changes)
    coarse = np.linspace(0.01, 1.0, 34)
    closest = _least(_squared_errors(lags, recent, coarse)[0], squares)
    alpha, last_error = np.empty(len(y)), np.empty(len(y))
    for k in np.unique(closest):  # the rows whose coarse best is coarse[k] share their fine grid
        rows = np.flatnonzero(closest == k)
        fine = np.clip(coarse[k] + np.linspace(-0.03, 0.03, 13), 0.01, 1.0)
        errors, last = _squared_errors(lags[rows], recent[rows], fine)
        pick = _least(errors, squares[rows])
        alpha[rows], last_error[rows] = fine[pick], last[np.arange(len(rows)), pick]
    # l_N = l_(N-1) + alpha e_N = y_N - (1 - alpha) e_N
    return alpha, y[:, -1] - (1 - alpha) * last_error


# Squared errors closer than this share of the changes' squared sum are equal but for the closed form's rounding
# (far smaller): a history that changes only at its end, as a spike after zeros, errs alike at every weight, and
# the step-by-step recursion this replaced gave such ties to the smallest weight.
TIE = 1e-11


def _least(errors: np.ndarray, changes_squared: np.ndarray) -> np.ndarray:
    """(W,) the column of each row's least error in (W, A), the first among ties: the smallest weight wins them."""
    return np.argmax(errors <= errors.min(axis=1, keepdims=True) + TIE * changes_squared[:, None], axis=1)


def _squared_errors(lags: np.ndarray, recent: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W, A) the summed squared one-step errors of SES with each of the (A,) weights, and (W, A) its last error.

    SES started at a history's first value errs by e_i = d_i + q e_(i-1) (d the changes, q = 1 - alpha), so
    e_i = sum_j q^(i-j) d_j, and summing e_i^2 over i = 1..N in closed form gives
    SSE = (sum_jk q^|j-k| d_j d_k - q^2 e_N^2) / (1 - q^2): the changes' autocovariances `lags` (W, N) and the
    changes latest first `recent` (W, N) weighted by powers of q. Two matrix products per grid instead of a
    recursion over every step for every weight (a backtest runs this at thousands of origins); the same sums to
    rounding.
    """
    q = 1.0 - alphas
    powers = q[None, :] ** np.arange(lags.shape[1], dtype=np.float64)[:, None]  # (N, A): q^d
    last = recent @ powers  # e_N = sum_d q^d d_(N-d)
    weights = 2.0 * powers
    weights[:1] = 1.0  # lag 0 once, every other lag on both sides
    return (lags @ weights - q ** 2 * last ** 2) / (1.0 - q ** 2), last


def _autocovariances(changes: np.ndarray) -> np.ndarray:
    """(W, N) sum_j d_j d_(j+k) of each row at every lag k = 0..N-1, through the FFT (zero-padded: no wrap-around)."""
    n = changes.shape[1]
    if n == 0:
        return changes.copy()
    size = _smooth_length(2 * n - 1)
    spectrum = np.fft.rfft(changes, size, axis=1)
    return np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, size, axis=1)[:, :n]


def _smooth_length(least: int) -> int:
    """The smallest length >= `least` with no prime factor above 5: numpy's FFT is fast at those.

    scipy.fft.next_fast_len says the same, but importing scipy.fft would add about 0.25 s to every command's start.
    """
    length = least
    while True:
        rest = length
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return length
        length += 1


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
