"""Forecast accuracy metrics on arrays, as the M4 competition defines them.

Arrays are (W, H): one row per forecast window, one column per horizon step.
`series` gives each window's series as an integer code, so that MASE is taken
per series (each with its own scale) and then averaged over series. Every score
takes `axis`: None gives one number over all steps, 0 one per step (an (H,) array).
"""

from __future__ import annotations

import numpy as np

Score = float | np.ndarray  # one number (axis None) or one per step (axis 0)


def _score(value) -> Score:
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)


def mae(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None) -> Score:
    """Mean absolute error."""
    return _score(np.mean(np.abs(actual - forecast), axis=axis))


def rmse(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None) -> Score:
    """Root mean squared error."""
    return _score(np.sqrt(np.mean((actual - forecast) ** 2, axis=axis)))


def mape(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None) -> tuple[Score, Score]:
    """Mean absolute percentage error (in %) over non-zero actuals, and how many zeros were skipped."""
    nonzero = actual != 0
    used, skipped = np.count_nonzero(nonzero, axis=axis), np.count_nonzero(~nonzero, axis=axis)
    ratio = np.divide(np.abs(actual - forecast), np.abs(actual), out=np.zeros(np.shape(actual)), where=nonzero)
    with np.errstate(invalid="ignore", divide="ignore"):  # no non-zero actual: NaN
        value = 100.0 * np.sum(ratio, axis=axis) / np.where(used > 0, used, np.nan)
    return _score(value), (int(skipped) if np.ndim(skipped) == 0 else skipped)  # a plain int, as JSON takes it


def smape(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None) -> Score:
    """Symmetric MAPE as in M4: mean of 200 |y - f| / (|y| + |f|); a point where both are 0 scores 0."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(np.abs(actual - forecast), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return _score(200.0 * np.mean(ratio, axis=axis))


def seasonal_naive_scale(history: np.ndarray, season: int) -> float:
    """MASE's scale: the in-sample MAE of the seasonal-naive forecast (lag 1 if too short for a season)."""
    lag = season if len(history) > season else 1
    if len(history) <= lag:
        return float("nan")
    return float(np.mean(np.abs(history[lag:] - history[:-lag])))


def mase(actual: np.ndarray, forecast: np.ndarray, series: np.ndarray, scales: np.ndarray,
         axis: int | None = None) -> Score:
    """Mean over series of (that series' MAE / its scale); series with a zero or unknown scale are left out."""
    return scaled_mean(np.abs(actual - forecast), series, scales, axis)


def scaled_mean(errors: np.ndarray, series: np.ndarray, scales: np.ndarray, axis: int | None = None) -> Score:
    """Mean over series of (that series' mean error / its scale), as MASE and MSIS average; unusable scales are left out."""
    codes, means = _series_means(errors.reshape(len(series), -1), series)  # (S, H)
    scale = scales[codes]
    usable = np.isfinite(scale) & (scale > 0)
    if not usable.any():
        return _score(np.full(means.shape[1], np.nan) if axis == 0 else np.nan)
    # Every window has H steps, so the mean over steps of the per-step scores is the overall score.
    per_step = np.mean(means[usable] / scale[usable, None], axis=0)
    return _score(per_step if axis == 0 else per_step.mean())


def _series_means(errors: np.ndarray, series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes present and, for each, the mean of its windows' rows of the (W, H) `errors`: (S,), (S, H)."""
    order = np.argsort(series, kind="stable")
    codes, starts, counts = np.unique(series[order], return_index=True, return_counts=True)
    return codes, np.add.reduceat(errors[order], starts, axis=0) / counts[:, None]


def pinball(actual: np.ndarray, forecast: np.ndarray, quantile: float, axis: int | None = None) -> Score:
    """Mean pinball (quantile) loss of one quantile forecast."""
    error = actual - forecast
    return _score(np.mean(np.maximum(quantile * error, (quantile - 1.0) * error), axis=axis))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, axis: int | None = None) -> Score:
    """Share of actuals inside [lower, upper]."""
    return _score(np.mean((actual >= lower) & (actual <= upper), axis=axis))


def point_scores(actual: np.ndarray, forecast: np.ndarray, series: np.ndarray, scales: np.ndarray,
                 axis: int | None = None) -> dict[str, Score]:
    """MAE, RMSE, MAPE (with the count of zero actuals skipped), sMAPE and MASE of (W, H) arrays."""
    mape_value, zeros = mape(actual, forecast, axis)
    return {
        "MAE": mae(actual, forecast, axis),
        "RMSE": rmse(actual, forecast, axis),
        "MAPE": mape_value,
        "MAPE_zeros_skipped": zeros,
        "sMAPE": smape(actual, forecast, axis),
        "MASE": mase(actual, forecast, series, scales, axis),
    }


def msis(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float, series: np.ndarray,
         scales: np.ndarray, axis: int | None = None) -> Score:
    """M4's mean scaled interval score of a (1 - alpha) interval, scaled and averaged over series like MASE.

    Per point: (U - L) + (2/alpha)(L - Y)·1{Y < L} + (2/alpha)(Y - U)·1{Y > U}: the width, plus a
    penalty for each miss that grows with its distance.
    """
    below = (2.0 / alpha) * (lower - actual) * (actual < lower)
    above = (2.0 / alpha) * (actual - upper) * (actual > upper)
    return scaled_mean(upper - lower + below + above, series, scales, axis)


def acd(covered: Score, level: float) -> Score:
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
                    scales: np.ndarray, axis: int | None = None) -> dict[str, Score]:
    """Coverage, mean width, pinball loss of both bounds, MSIS and ACD of one central interval (level in %)."""
    name = f"{level:g}"
    low, high = round((1.0 - level / 100.0) / 2.0, 10), round((1.0 + level / 100.0) / 2.0, 10)
    covered = coverage(actual, lower, upper, axis)
    return {
        f"coverage_{name}": covered,
        f"width_{name}": _score(np.mean(upper - lower, axis=axis)),
        f"pinball_{name}": (pinball(actual, lower, low, axis) + pinball(actual, upper, high, axis)) / 2.0,
        f"MSIS_{name}": msis(actual, lower, upper, 1.0 - level / 100.0, series, scales, axis),
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
