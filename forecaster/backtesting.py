"""Rolling-origin evaluation against naive and seasonal-naive baselines.

An origin is the position of the first forecast step: a forecast from origin t
sees only values before t. Origins start after the model's training end, so the
score is honest; `start` can move them into the fitted part (an optimistic score).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from forecaster.baselines import naive, seasonal_naive, seasonal_naive_interval
from forecaster.data import Series, SeriesSet
from forecaster.errors import ConfigError, DataError
from forecaster.estimator import checks, fitting, inference
from forecaster.estimator.state import FittedState
from forecaster.forecaster import Forecaster
from forecaster.metrics import central_intervals, interval_scores, point_scores, quantile_scores, seasonal_naive_scale
from forecaster.data.timeaxis import parse_time_label
from forecaster.windows import all_actuals, series_of_windows

MODELS = ("model", "naive", "seasonal_naive")


@dataclass
class BacktestResult:
    """Scores of the model and the baselines over every window of a backtest."""

    horizon: int
    windows: int
    metrics: dict[str, dict[str, float]]  # "model" | "naive" | "seasonal_naive" -> metric -> value
    per_step: dict[str, pd.DataFrame]  # same keys -> one row per horizon step, one column per metric
    forecasts: pd.DataFrame  # series, origin, timestamp, step, actual, forecast[, q…], naive, seasonal_naive
    skill: float  # 1 - MASE(model) / MASE(seasonal naive): above 0 beats the baseline
    retrained: bool = False
    notes: list[str] = field(default_factory=list)
    intervals: dict[str, str] = field(default_factory=dict)  # level in % -> how the model's interval was made
    rolling: bool = False  # interval margins recalibrated at each origin from the errors seen before it

    def to_dict(self) -> dict:
        """The JSON shape of `evaluate` in SPEC §2."""
        per_step = {name: {metric: frame[metric].tolist() for metric in frame.columns}
                    for name, frame in self.per_step.items()}
        return {"horizon": self.horizon, "windows": self.windows, **self.metrics,
                "skill_vs_seasonal_naive": self.skill, "retrained": self.retrained, "intervals": self.intervals,
                "rolling_intervals": self.rolling,
                "per_step": per_step}


class FoldCallback(Protocol):
    """Progress of a `retrain` backtest, one call per refit."""

    def on_fold(self, fold: int, folds: int) -> None: ...


def backtest(model: Forecaster, data, stride: int | None = None, start: str | int | None = None,
             folds: int | None = None, retrain: bool = False, callback: FoldCallback | None = None,
             levels: list[float] | None = None, rolling: bool = True) -> BacktestResult:
    """Score `model` from rolling origins over `data` (read with the model's schema).

    `levels` picks among the model's calibrated intervals (in %; None: all of them). With `rolling`
    (and without `retrain`), interval margins are recalibrated at each origin from the errors seen
    before it (`calibration.rolling`); otherwise the stored validation margins are used throughout.
    """
    data = model.series_set(data)
    state = model.state_
    horizon, season = state.horizon, state.season
    stride = _checked_positive("stride", horizon if stride is None else stride)
    if folds is not None:
        _checked_positive("folds", folds)
    origins = [_origins(state, s, data, stride, start, folds) for s in data.series]
    if not any(len(o) for o in origins):
        raise DataError(_no_origin_message(data, state))
    checks.check_history(state, data, origins)
    calibrated = inference.calibrated(state, levels)
    actual = all_actuals([s.values for s in data.series], origins, horizon)
    if retrain:
        point, quantiles = _refit_forecasts(state, data, origins, [float(name) for name in calibrated], callback)
    else:
        point, quantiles = inference.quantiles_at(state, data, origins, levels, rolling=rolling)
    baselines = {
        "naive": np.concatenate([naive(s.values, o, horizon) for s, o in zip(data.series, origins)]),
        "seasonal_naive": np.concatenate([seasonal_naive(s.values, o, horizon, season) for s, o in zip(data.series, origins)]),
    }
    predictions = {"model": point, **baselines}
    pairs = central_intervals(list(quantiles))
    metrics, per_step = _scores(state, data, origins, actual, predictions, quantiles)
    table = _forecast_table(data, origins, actual, predictions, quantiles)
    skill = 1.0 - metrics["model"]["MASE"] / metrics["seasonal_naive"]["MASE"]
    methods = {f"{level:g}": calibrated.get(f"{level:g}", {"method": "trained"})["method"] for level in pairs}
    return BacktestResult(horizon, len(actual), metrics, per_step, table, skill, retrained=retrain, intervals=methods,
                          rolling=bool(methods) and rolling and not retrain)


def _scores(state: FittedState, data: SeriesSet, origins: list[np.ndarray], actual: np.ndarray,
            predictions: dict[str, np.ndarray], quantiles: dict[float, np.ndarray]) -> tuple[dict, dict]:
    """The metrics of the model and the baselines, overall and per step, with their intervals' where they have them."""
    codes = series_of_windows(origins)
    scales = np.array([_mase_scale(state, s, o, state.season) for s, o in zip(data.series, origins)])
    pairs = central_intervals(list(quantiles))
    bands = {
        "model": {level: (quantiles[low], quantiles[high]) for level, (low, high) in pairs.items()},
        "naive": {},
        "seasonal_naive": {level: _seasonal_naive_band(state, data, origins, level) for level in pairs},
    }
    metrics = {name: point_scores(actual, f, codes, scales) for name, f in predictions.items()}
    if quantiles:
        metrics["model"].update(quantile_scores(actual, quantiles, codes, scales))
    metrics["seasonal_naive"].update(_band_scores(actual, bands["seasonal_naive"], codes, scales))
    per_step = {name: _per_step(actual, f, bands[name], codes, scales) for name, f in predictions.items()}
    return metrics, per_step


def _seasonal_naive_band(state: FittedState, data: SeriesSet, origins: list[np.ndarray],
                         level: float) -> tuple[np.ndarray, np.ndarray]:
    """The seasonal-naive interval baseline at every window: (W, H) lower and upper."""
    horizon, season = state.horizon, state.season
    parts = [seasonal_naive_interval(s.values, o, horizon, season, s.values[: _history_end(state, s, o)], level)
             for s, o in zip(data.series, origins) if len(o)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _history_end(state: FittedState, s: Series, origins: np.ndarray) -> int:
    """Where the history a baseline may learn from ends: the training end, or the first origin if that comes first."""
    fitted = state.fitted_length(s)
    return min(len(s) if fitted is None else fitted, int(origins[0]))


def _band_scores(actual: np.ndarray, bands: dict, codes: np.ndarray, scales: np.ndarray,
                 axis: int | None = None) -> dict:
    """Interval scores of every level's (lower, upper) band (per step with `axis` 0)."""
    return {key: value for level, (lower, upper) in bands.items()
            for key, value in interval_scores(actual, lower, upper, level, codes, scales, axis).items()}


def _checked_positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"`{name}` must be a positive integer, got {value!r}")
    return value


def _origins(state: FittedState, s: Series, data: SeriesSet, stride: int, start, folds: int | None) -> np.ndarray:
    """Positions of the origins of one series: first..(n - H) every `stride`, the last `folds` kept."""
    if start is not None:
        first = int(s.time.searchsorted(parse_time_label(start, data.schema.freq)))
    else:
        first = state.fitted_length(s)
        if first is None:
            return np.array([], dtype=np.int64)
    # Every origin needs a lookback of history and a season for the seasonal-naive baseline.
    first = max(first, state.lookback, state.season)
    origins = np.arange(first, len(s) - state.horizon + 1, stride)
    return origins[-folds:] if folds else origins


def _no_origin_message(data: SeriesSet, state: FittedState) -> str:
    return (
        f"{data.source}: no forecast origin with {state.horizon} actuals lies after the model's training end, "
        "so there is nothing to score honestly; train with `holdout` N (N >= the horizon) to keep the last steps "
        "out of fitting, give data that runs past the training end, or pass `start` to score in-sample (optimistic)"
    )


def _mase_scale(state: FittedState, s: Series, origins: np.ndarray, season: int) -> float:
    """Seasonal-naive in-sample MAE of the series' training part (or, if unseen, of its history before the first origin)."""
    info = state.series.get(s.id)
    if info is not None:
        return float(info["mase_scale"])
    return seasonal_naive_scale(s.values[: origins[0]] if len(origins) else s.values, season)


def _refit_forecasts(state: FittedState, data: SeriesSet, origins: list[np.ndarray], levels: list[float],
                     callback) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Refit from scratch before each fold's origin (expanding window), calibrate, and forecast from it."""
    folds = max(len(o) for o in origins)
    # Each refit calibrates the asked levels on its own validation part, as training would.
    settings = dataclasses.replace(state.resolved_config(), levels=levels, holdout=0)
    windows = sum(len(o) for o in origins)
    point, quantiles = np.empty((windows, state.horizon)), {}
    positions = np.cumsum([0] + [len(o) for o in origins[:-1]])
    for k in range(folds):
        if callback is not None:
            callback.on_fold(k + 1, folds)
        members = [i for i, o in enumerate(origins) if len(o) > k]
        history = SeriesSet([_cut(data.series[i], origins[i][k]) for i in members], data.schema, data.source)
        refit = fitting.fitted(settings, history)
        fold_point, fold_quantiles = inference.quantiles_at(
            refit, SeriesSet([data.series[i] for i in members], data.schema, data.source),
            [origins[i][k : k + 1] for i in members], scalers=inference.scalers_for(refit, history),
        )
        rows = [positions[i] + k for i in members]
        point[rows] = fold_point
        for q, values in fold_quantiles.items():
            quantiles.setdefault(q, np.empty((windows, state.horizon)))[rows] = values
    return point, quantiles


def _cut(s: Series, origin: int) -> Series:
    covariates = None if s.covariates is None else s.covariates[:origin]
    return Series(s.id, s.time[:origin], s.values[:origin], covariates)


def _per_step(actual: np.ndarray, forecast: np.ndarray, bands: dict, codes: np.ndarray, scales: np.ndarray) -> pd.DataFrame:
    """Point scores, and the interval scores of each band, at every horizon step."""
    columns = {**point_scores(actual, forecast, codes, scales, axis=0), **_band_scores(actual, bands, codes, scales, axis=0)}
    return pd.DataFrame(columns, index=pd.RangeIndex(1, actual.shape[1] + 1, name="step"))


def _forecast_table(data: SeriesSet, origins: list[np.ndarray], actual: np.ndarray,
                    predictions: dict[str, np.ndarray], quantiles: dict[float, np.ndarray]) -> pd.DataFrame:
    """One row per window and step: the CSV output of `evaluate` in SPEC §2."""
    horizon = actual.shape[1]
    # Each id once, then taken per row: a stride-1 backtest has hundreds of thousands of rows.
    ids = pd.Series(np.array(data.ids, dtype=object)).take(np.repeat(series_of_windows(origins), horizon)).array
    positions = [(o[:, None] + np.arange(horizon)[None, :]).ravel() for o in origins]
    table = pd.DataFrame({
        "series": ids,
        "origin": np.concatenate([np.asarray(s.time[np.repeat(o, horizon)]) for s, o in zip(data.series, origins)]),
        "timestamp": np.concatenate([np.asarray(s.time[p]) for s, p in zip(data.series, positions)]),
        "step": np.tile(np.arange(1, horizon + 1), len(actual)),
        "actual": actual.ravel(),
        "forecast": predictions["model"].ravel(),
    })
    for q, values in quantiles.items():
        table[f"q{q:g}"] = values.ravel()
    table["naive"] = predictions["naive"].ravel()
    table["seasonal_naive"] = predictions["seasonal_naive"].ravel()
    return table
