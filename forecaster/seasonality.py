"""The seasonal period of a fit: given, from the frequency, or detected in the data by autocorrelation.

statsmodels and statsforecast, which detect a season this way, are not dependencies of forecaster, so
the rule is written out here with numpy (`detected_season`).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from forecaster.data.timeaxis import MAX_SEASON, season_of

SIGNIFICANCE = 0.05  # chance of claiming a season in data without one, over all the lags tried together
MIN_ACF = 0.1  # a weaker seasonal correlation is no use to a forecast, however significant in long data
NEAR_BEST = 0.9  # a peak this close to the highest is preferred when shorter: the period, not a multiple of it
MAX_SERIES = 1_000  # series whose autocorrelations are pooled, at most (evenly spaced): as telling as all of them


@dataclass(frozen=True)
class Season:
    period: int  # the seasonal period in steps; 1: none
    source: str  # how it was chosen: given | frequency | detected | none (none detected)


def chosen_season(asked: int | None, freq: str, parts: list[np.ndarray]) -> Season:
    """The season to fit with: the one asked for, else the frequency's, else one detected in `parts`."""
    if asked is not None:
        return Season(asked, "given")
    from_freq = season_of(freq)
    if from_freq > 1:
        return Season(from_freq, "frequency")
    detected = detected_season(parts)
    return Season(detected, "detected" if detected > 1 else "none")


def detected_season(parts: list[np.ndarray]) -> int:
    """The seasonal period the series' pooled autocorrelation shows, or 1 where it shows none.

    Each series is detrended (a least-squares line) and its autocorrelation function (ACF) computed up to
    a third of the typical length (at most MAX_SEASON); the ACFs are averaged, weighted by length. A lag
    is a candidate where the ACF has a local peak that stands above MIN_ACF, above its standard error
    times z, and above the lowest ACF before it by one standard error. The standard error is Bartlett's
    (as statsmodels' `acf` gives it) for a process correlated only up to the ACF's first zero: so that a
    trend, a random walk or a slowly wandering series, whose ACF is high and smooth, gets no season, while
    a season's own long correlation does not hide it. z shares SIGNIFICANCE over all the lags tried
    (Bonferroni), so white noise gets none either. Of the candidates, the shortest whose ACF is within
    NEAR_BEST of the highest wins. A single short series needs a strong season to pass: `season` is there
    for the rest.
    """
    parts = _pooled(parts)
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    max_lag = int(min(MAX_SEASON, np.median(lengths) // 3)) if len(parts) else 0
    if max_lag < 3:
        return 1
    residuals = [_detrended(p) for p in parts if len(p) >= 3 * max_lag]
    acfs = [(len(r), _acf(r, max_lag)) for r in residuals if r is not None]
    if not acfs:
        return 1
    weight = sum(n for n, _ in acfs)
    acf = sum(n * r for n, r in acfs) / weight  # (max_lag + 1,)
    lags = np.arange(2, max_lag)  # a peak needs a neighbour on each side
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    z = NormalDist().inv_cdf(1.0 - SIGNIFICANCE / (max_lag - 1))  # one-sided: a season shows as a positive peak
    crossings = np.flatnonzero(acf[1:] <= 0)
    memory = int(crossings[0]) if len(crossings) else max_lag  # the lags 1..memory before the first zero
    squares = np.concatenate([[0.0], np.cumsum(acf[1:] ** 2)])  # [m]: the sum of r_j^2 over j = 1..m
    significant = []
    for k in peaks:
        error = np.sqrt((1.0 + 2.0 * squares[min(k - 1, memory)]) / weight)  # Bartlett
        if acf[k] > max(MIN_ACF, z * error) and acf[k] - acf[1:k].min() > error:
            significant.append(int(k))
    if not significant:
        return 1
    best = max(acf[k] for k in significant)
    return min(k for k in significant if acf[k] >= NEAR_BEST * best)


def _pooled(parts: list[np.ndarray]) -> list[np.ndarray]:
    """At most MAX_SERIES of the series, evenly spaced, less the non-finite and constant ones."""
    if len(parts) > MAX_SERIES:
        parts = [parts[i] for i in np.linspace(0, len(parts) - 1, MAX_SERIES).round().astype(np.int64)]
    usable = [np.asarray(p, dtype=np.float64) for p in parts]
    return [p for p in usable if len(p) > 2 and np.isfinite(p).all() and np.ptp(p) > 0]


def _detrended(values: np.ndarray) -> np.ndarray | None:
    """The values minus their least-squares line (a trend would fill the ACF at every lag); None for a straight line."""
    t = np.arange(len(values), dtype=np.float64)
    t -= t.mean()
    centered = values - values.mean()
    residuals = centered - t * (t @ centered) / (t @ t)
    # What is left of a straight line is rounding noise, whose ACF means nothing.
    return residuals if residuals @ residuals > 1e-12 * (centered @ centered) else None


def _acf(centered: np.ndarray, max_lag: int) -> np.ndarray:
    """(max_lag + 1,) the sample autocorrelation of zero-mean values at lags 0..max_lag (statsmodels' estimator, by FFT)."""
    size = 1 << int(2 * len(centered) - 1).bit_length()  # zero padding: a linear, not circular, correlation
    spectrum = np.fft.rfft(centered, size)
    autocovariance = np.fft.irfft(spectrum * np.conj(spectrum), size)[: max_lag + 1]
    return autocovariance / autocovariance[0]

