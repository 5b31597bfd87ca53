"""Forecasts from a fitted state: batched forward passes from any origins, quantiles and calibrated bounds.

An origin is the position of the first forecast step in its series; a forecast from it reads only the
lookback steps before it. Windows come in series order, then origin order. Functions whose data is
"in model space" take values as the network models them (see `transform`); the others take them as read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from forecaster import calibration, features, theta, transform
from forecaster.data import Series, SeriesSet
from forecaster.errors import DataError, TrainingError
from forecaster.estimator import checks
from forecaster.estimator.state import FittedState
from forecaster.scaling import Scaler, fit_scaler
from forecaster.training import EVAL_BATCH, autocast
from forecaster.windows import WindowSet, all_actuals, origin_starts


def predicted(state: FittedState, data: SeriesSet, horizon: int | None = None,
              levels: list[float] | None = None) -> pd.DataFrame:
    """The forecast after the end of each series: long frame `series, timestamp, forecast[, q…]`."""
    steps = checks.checked_horizon(state, horizon)
    origins = [np.array([len(s)]) for s in data.series]
    checks.check_history(state, data, origins)
    checks.check_future_covariates(state, data, steps)
    point, columns = quantiles_at(state, data, origins, levels)  # (S, H), {q: (S, H)}
    times = features.future_steps(data.series, [len(s) for s in data.series], [steps] * len(data.series),
                                  data.schema.freq)
    # One frame for all series (not one per series, concatenated): rows series by series, then step by step.
    return pd.DataFrame({"series": np.repeat(np.array(data.ids, dtype=object), steps),
                         "timestamp": times[0].append(times[1:]),
                         "forecast": point[:, :steps].ravel(),  # (S, steps) -> (S * steps,)
                         **{f"q{q:g}": values[:, :steps].ravel() for q, values in columns.items()}})


def quantiles_at(state: FittedState, data: SeriesSet, origins: list[np.ndarray], levels: list[float] | None = None,
                 scalers: list[Scaler] | None = None, rolling: bool = False) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Point forecasts (W, H) and every quantile column {level: (W, H)}, calibrated and never crossing.

    With `rolling` (a backtest, where every window's horizon lies in `data`), the margins roll: each
    window's come from the errors seen before its origin (see `calibration.rolling`).
    """
    model = transform.to_model(data, state.transform)
    scalers = scalers or model_scalers(state, model)
    output = forecast(state, model, origins, scalers)
    # Each window's interval widens with its own series' scale: one calibration serves series of any size.
    units = interval_units(state, model, scalers, [len(o) for o in origins])
    chosen = calibrated(state, levels)
    if rolling:
        actual = all_actuals([s.values for s in model.series], origins, state.horizon)
        chosen = calibration.rolling(chosen, output, actual, units, origins, state.quantiles)
    # Quantiles trained only as the bases of intervals (automatic quantiles) are shown only as calibrated bounds.
    shown = state.quantiles if state.config.quantiles is not None else []
    columns = calibration.quantile_columns(output, units, state.quantiles, chosen, shown)
    lowest = floors(state, data, origins)[:, None]  # (W, 1)
    point = np.maximum(transform.from_model(output[..., 0], state.transform), lowest)
    columns = {q: np.maximum(transform.from_model(values, state.transform), lowest) for q, values in columns.items()}
    # exp may overflow, and a margin edited into config.json by hand could too
    finite(np.stack([point, *columns.values()], axis=-1), data, origins)
    return point, columns


def calibrated(state: FittedState, levels: list[float] | None = None) -> dict[str, dict]:
    """The stored calibration of the asked levels (in %; None: every calibrated level)."""
    return state.calibration if levels is None else calibration.select(state.calibration, levels)


def floors(state: FittedState, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
    """(W,) the lowest forecast or bound of each window: 0 where its series was never negative in training, else -inf.

    A series unseen in training is judged by its history before its first origin. A model saved before the
    domain was recorded clips nothing.
    """
    recorded = any("nonnegative" in info for info in state.series.values())
    lowest = []
    for s, o in zip(data.series, origins):
        info = state.series.get(s.id)
        history = s.values[: o.min()] if len(o) else s.values[:0]
        never_negative = (info.get("nonnegative", False) if info is not None
                          else recorded and len(history) > 0 and bool((history >= 0).all()))
        lowest.append(np.full(len(o), 0.0 if never_negative else -np.inf))
    return np.concatenate(lowest) if lowest else np.zeros(0)


def forecast_at(state: FittedState, data: SeriesSet, origins: list[np.ndarray],
                scalers: list[Scaler] | None = None) -> np.ndarray:
    """Forecasts from many origins per series in batched forward passes: (W, H, 1 + Q), data units."""
    model = transform.to_model(data, state.transform)
    output = forecast(state, model, origins, scalers or model_scalers(state, model))
    return finite(transform.from_model(output, state.transform), data, origins)


def forecast(state: FittedState, data: SeriesSet, origins: list[np.ndarray], scalers: list[Scaler]) -> np.ndarray:
    """`forecast_at` in model space: `data` and the (W, H, 1 + Q) forecasts are as the network models them."""
    tensor, starts = _inputs(state, data, scalers, origins)
    windows = WindowSet(tensor, starts, state.lookback, state.horizon, state.net.shape.known)
    state.net.eval()
    with torch.no_grad(), autocast(state.device, state.config.precision):
        chunks = [state.net(windows.inputs(rows).to(state.device)).float().cpu()
                  for rows in torch.arange(len(windows)).split(EVAL_BATCH)]
    scaled = torch.cat(chunks).numpy().astype(np.float64)  # (W, H, 1 + Q)
    # Quantile outputs are sorted so that they never cross.
    scaled[..., 1:] = np.sort(scaled[..., 1:], axis=-1)
    centers = np.concatenate([np.full(len(o), sc.center) for sc, o in zip(scalers, origins)])
    scales = np.concatenate([np.full(len(o), sc.scale) for sc, o in zip(scalers, origins)])
    output = scaled * scales[:, None, None] + centers[:, None, None]
    if state.theta_share:
        output = theta.blended(output, theta_forecasts(state, data, origins), state.theta_share)
    return finite(output, data, origins)


def theta_forecasts(state: FittedState, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
    """(W, H) the Theta method's forecasts from each origin (`data` in model space)."""
    histories = [s.values[max(0, o - theta.MAX_HISTORY): o] for s, os in zip(data.series, origins) for o in os]
    return theta.theta_forecasts(histories, state.horizon, state.season)


def _inputs(state: FittedState, data: SeriesSet, scalers: list[Scaler],
            origins: list[np.ndarray]) -> tuple[torch.Tensor, np.ndarray]:
    """The network input of every series end to end (T, C), and the start row of each origin's window.

    Only the rows the windows read are built: from a lookback before a series' first origin to its
    end, then forecast rows where an origin's horizon passes the end.
    """
    for s, sc in zip(data.series, scalers):
        _scaled_in_range(s, sc, data.source)
    lengths = np.array([len(s) for s in data.series], dtype=np.int64)
    used = np.array([len(o) > 0 for o in origins])  # a series without origins needs no rows
    firsts = np.array([o.min() if len(o) else 0 for o in origins], dtype=np.int64)
    lasts = np.array([o.max() if len(o) else 0 for o in origins], dtype=np.int64)
    begins = np.where(used, np.clip(firsts - state.lookback, 0, lengths), lengths)
    beyond = np.where(used & bool(state.net.shape.known), np.maximum(0, lasts + state.horizon - lengths), 0)
    cov_scalers = [_covariate_scalers(state, s) for s in data.series]
    channels, offsets = features.stacked_channels(data.series, state.schema, scalers, cov_scalers, begins, lengths,
                                                  beyond)  # (T, C) float32
    # Row r of series i lies at offsets[i] + r - begins[i].
    starts = np.concatenate([origin_starts(off - a, o, state.lookback) for off, a, o in zip(offsets, begins, origins)])
    return torch.from_numpy(channels), starts


def _covariate_scalers(state: FittedState, series: Series) -> list[Scaler]:
    """A series' training covariate scalers; a series unseen in training is scaled by its own history."""
    info = state.series.get(series.id)
    if info is not None and "covariate_scalers" in info:
        return [Scaler(**c) for c in info["covariate_scalers"]]
    return features.covariate_scalers(series, len(series))


def scalers_for(state: FittedState, data: SeriesSet) -> list[Scaler]:
    """Each series' training scaler (of model-space values); a series unseen in training is scaled by its own history."""
    return model_scalers(state, transform.to_model(data, state.transform))


def model_scalers(state: FittedState, data: SeriesSet) -> list[Scaler]:
    """`scalers_for` of data already in model space."""
    return [Scaler(**state.series[s.id]["scaler"]) if s.id in state.series else fit_scaler(state.config.scaler, s.values)
            for s in data.series]


def interval_units(state: FittedState, data: SeriesSet, scalers: list[Scaler], counts: list[int]) -> calibration.Units:
    """The scales of `counts[i]` windows of each series i that interval margins are measured in."""
    return calibration.Units(np.repeat(interval_scales(state, data, scalers), counts),
                             np.repeat([sc.scale for sc in scalers], counts))


def interval_scales(state: FittedState, data: SeriesSet, scalers: list[Scaler]) -> np.ndarray:
    """(S,) what each series' split-conformal margins are in: its error scale (see `fitting._error_scales`).

    A series unseen in training takes its scaler's scale times the training series' median ratio of
    the two. A model saved before error scales existed was calibrated in scaler scales.
    """
    if state.error_ratio is None:
        return np.array([sc.scale for sc in scalers])
    return np.array([state.series.get(s.id, {}).get("error_scale", sc.scale * state.error_ratio)
                     for s, sc in zip(data.series, scalers)], dtype=np.float64)


def _scaled_in_range(series: Series, scaler: Scaler, source: str) -> np.ndarray:
    """Scaled values, refusing any the network's float32 cannot hold: they would come out as NaN."""
    scaled = scaler.transform(series.values)
    beyond = np.flatnonzero(np.abs(scaled) > np.finfo(np.float32).max)
    if len(beyond):
        i = int(beyond[0])
        raise DataError(
            f"{source}: series {series.id!r} has {series.values[i]:g} at {series.time[i]}, far outside the values the "
            f"model was trained on (about {scaler.center:g} ± {scaler.scale:g}); retrain it on data like this"
        )
    return scaled


def finite(forecasts: np.ndarray, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
    """The forecasts, unless any is NaN or infinite: such a number would poison whatever reads the output."""
    bad = ~np.isfinite(forecasts).reshape(len(forecasts), -1).all(axis=1)
    if bad.any():
        owners = np.concatenate([np.full(len(o), s.id, dtype=object) for s, o in zip(data.series, origins)])
        raise TrainingError(
            f"{data.source}: the model gave {int(bad.sum())} NaN or infinite forecasts (the first for series "
            f"{owners[bad][0]!r}), so nothing was written; its weights are damaged or the data lies far outside "
            "what it was trained on: retrain it on data like this"
        )
    return forecasts
