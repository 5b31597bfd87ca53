"""Forecast accuracy metrics on arrays, as the M4 competition defines them.

Arrays are (W, H): one row per forecast window, one column per horizon step.
`series` gives each window's series as an integer code, so that MASE is taken
per series (each with its own scale) and then averaged over series.
"""

from __future__ import annotations

import numpy as np


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(actual - forecast)))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def mape(actual: np.ndarray, forecast: np.ndarray) -> tuple[float, int]:
    """Mean absolute percentage error (in %) over non-zero actuals, and how many zeros were skipped."""
    nonzero = actual != 0
    skipped = int(np.size(actual) - np.count_nonzero(nonzero))
    if not nonzero.any():
        return float("nan"), skipped
    return float(100.0 * np.mean(np.abs((actual[nonzero] - forecast[nonzero]) / actual[nonzero]))), skipped


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE as in M4: mean of 200 |y - f| / (|y| + |f|); a point where both are 0 scores 0."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(np.abs(actual - forecast), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(200.0 * np.mean(ratio))


def seasonal_naive_scale(history: np.ndarray, season: int) -> float:
    """MASE's scale: the in-sample MAE of the seasonal-naive forecast (lag 1 if too short for a season)."""
    lag = season if len(history) > season else 1
    if len(history) <= lag:
        return float("nan")
    return float(np.mean(np.abs(history[lag:] - history[:-lag])))


def mase(actual: np.ndarray, forecast: np.ndarray, series: np.ndarray, scales: np.ndarray) -> float:
    """Mean over series of (that series' MAE / its scale); series with a zero or unknown scale are left out."""
    return scaled_mean(np.abs(actual - forecast), series, scales)


def scaled_mean(errors: np.ndarray, series: np.ndarray, scales: np.ndarray) -> float:
    """Mean over series of (that series' mean error / its scale), as MASE and MSIS average; unusable scales are left out."""
    per_window = errors.reshape(len(series), -1).mean(axis=1)  # (W,)
    codes = np.unique(series)
    per_series = np.array([per_window[series == code].mean() for code in codes])
    scale = scales[codes]
    usable = np.isfinite(scale) & (scale > 0)
    if not usable.any():
        return float("nan")
    return float(np.mean(per_series[usable] / scale[usable]))


def pinball(actual: np.ndarray, forecast: np.ndarray, quantile: float) -> float:
    """Mean pinball (quantile) loss of one quantile forecast."""
    error = actual - forecast
    return float(np.mean(np.maximum(quantile * error, (quantile - 1.0) * error)))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper]."""
    return float(np.mean((actual >= lower) & (actual <= upper)))


def point_scores(actual: np.ndarray, forecast: np.ndarray, series: np.ndarray, scales: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, MAPE (with the count of zero actuals skipped), sMAPE and MASE of (W, H) arrays."""
    mape_value, zeros = mape(actual, forecast)
    return {
        "MAE": mae(actual, forecast),
        "RMSE": rmse(actual, forecast),
        "MAPE": mape_value,
        "MAPE_zeros_skipped": zeros,
        "sMAPE": smape(actual, forecast),
        "MASE": mase(actual, forecast, series, scales),
    }


def msis(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float, series: np.ndarray,
         scales: np.ndarray) -> float:
    """M4's mean scaled interval score of a (1 - alpha) interval, scaled and averaged over series like MASE.

    Per point: (U - L) + (2/alpha)(L - Y)·1{Y < L} + (2/alpha)(Y - U)·1{Y > U}: the width, plus a
    penalty for each miss that grows with its distance.
    """
    below = (2.0 / alpha) * (lower - actual) * (actual < lower)
    above = (2.0 / alpha) * (actual - upper) * (actual > upper)
    return scaled_mean(upper - lower + below + above, series, scales)


def acd(covered: float, level: float) -> float:
    """M4's absolute coverage difference: |empirical coverage - nominal level|, level in %."""
    return abs(covered - level / 100.0)


def central_intervals(levels: list[float]) -> dict[float, tuple[float, float]]:
    """The central intervals among quantile levels, by level in %: {0.1, 0.5, 0.9} -> {80: (0.1, 0.9)}."""
    present = {round(q, 10) for q in levels}
    pairs = {}
    for low in sorted(q for q in present if q < 0.5):
        if round(1.0 - low, 10) in present:
            pairs[round(100.0 * (1.0 - 2.0 * low), 8)] = (low, round(1.0 - low, 10))
    return dict(sorted(pairs.items()))


def interval_scores(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float, series: np.ndarray,
                    scales: np.ndarray) -> dict[str, float]:
    """Coverage, mean width, pinball loss of both bounds, MSIS and ACD of one central interval (level in %)."""
    name = f"{level:g}"
    low, high = round((1.0 - level / 100.0) / 2.0, 10), round((1.0 + level / 100.0) / 2.0, 10)
    covered = coverage(actual, lower, upper)
    return {
        f"coverage_{name}": covered,
        f"width_{name}": float(np.mean(upper - lower)),
        f"pinball_{name}": (pinball(actual, lower, low) + pinball(actual, upper, high)) / 2.0,
        f"MSIS_{name}": msis(actual, lower, upper, 1.0 - level / 100.0, series, scales),
        f"ACD_{name}": acd(covered, level),
    }


def quantile_scores(actual: np.ndarray, quantiles: dict[float, np.ndarray], series: np.ndarray,
                    scales: np.ndarray) -> dict[str, float]:
    """Pinball loss per quantile and their mean, and the interval scores of each central interval among them."""
    scores = {f"pinball_q{q:g}": pinball(actual, f, q) for q, f in quantiles.items()}
    scores["pinball"] = float(np.mean(list(scores.values())))
    for level, (low, high) in central_intervals(list(quantiles)).items():
        scores.update(interval_scores(actual, quantiles[low], quantiles[high], level, series, scales))
    return scores
