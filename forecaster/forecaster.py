"""The estimator: `Forecaster(...).fit(data)`, `.predict(data)`, `.save(path)`, `Forecaster.load(path)`.

scikit-learn style: `__init__` only stores settings; `fit` validates, resets and
returns self; learned state ends in `_`; using it unfitted raises NotFittedError.
"""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from forecaster import auto, calibration, features, padding, persistence, seasonality, theta, transform
from forecaster.config import Config
from forecaster.data import MinLength, Schema, Series, SeriesSet, check_time_zone, series_from_frame
from forecaster.errors import ConfigError, DataError, ModelFileError, NotFittedError, TrainingError
from forecaster.metrics import point_scores, seasonal_naive_scale
from forecaster.model import NetworkShape, RecurrentForecaster, build_network
from forecaster.scaling import Scaler, fit_scaler
from forecaster.threads import threads_limited
from forecaster.timeaxis import axis_step, future_index, parse_time_label, time_label
from forecaster.training import CUT_SHORT, EVAL_BATCH, MIN_RANKING_WINDOWS, TrainingResult, autocast, mean_loss, resolve_device, train
from forecaster.windows import Split, WindowSet, all_actuals, origin_starts, series_of_windows, split_bounds


VALIDATION_WINDOWS = 50_000  # validation windows scored and calibrated on after training, at most
MIN_ERROR_SCALE = 0.01  # an error scale is at least this share of the series' scaler scale
MIN_HISTORY = 2  # real steps a series' training part holds at the least when short series are lengthened
THETA_WINDOWS = 4_000  # validation windows the share of Theta's forecast is chosen on, at most
ERROR_WINDOWS = 20_000  # training windows whose in-sample errors give the series' error scales, at most


class Forecaster:
    """A recurrent (LSTM/GRU/RNN) forecaster over one or many series."""

    def __init__(self, config: Config | None = None, **settings: Any) -> None:
        base = config if config is not None else Config()
        self.config = dataclasses.replace(base, **settings) if settings else base

    # ---------------------------------------------------------------- fitting
    def fit(self, data: SeriesSet | pd.DataFrame, callback=None) -> Forecaster:
        """Train on every series in `data`; returns self. Interrupted training keeps the best epoch so far."""
        with threads_limited(self.config.threads):
            return self._fit(data, callback)

    def _fit(self, data: SeriesSet | pd.DataFrame, callback) -> Forecaster:
        data = self._series_set(data, schema=None, needs=training_length(self.config))
        cfg = self.config
        # The holdout is never looked at, not even to find the season.
        chosen = seasonality.chosen_season(cfg.season, data.schema.freq,
                                           [s.values[: max(0, len(s) - cfg.holdout)] for s in data.series])
        season = chosen.period
        horizon = cfg.horizon or (season if season > 1 else 10)
        splits = [split_bounds(len(s), cfg.holdout, cfg.val_size, horizon, len(data.series)) for s in data.series]
        lookback = cfg.lookback or auto.lookback(horizon, season, [sp.n_train for sp in splits])
        _check_lengths(data, splits, lookback, horizon, cfg)
        added = [0] * len(splits)
        if cfg.lookback is None:  # a series shorter than the automatic lookback needs is lengthened, not refused
            data, splits, added = _lengthened(data, splits, lookback + horizon)
        parts = [s.values[a: sp.n_train] for s, sp, a in zip(data.series, splits, added)]
        norm = auto.window_norm(cfg.window_norm, parts, horizon, season, lookback)
        self.transform_ = auto.transform(cfg.transform, data, norm)
        self.quantiles_ = auto.quantiles(cfg.quantiles, cfg.levels, norm)
        cfg = dataclasses.replace(cfg, quantiles=self.quantiles_)  # what training and the network's shape need
        raw, data = data, transform.to_model(data, self.transform_)
        scalers = [fit_scaler(cfg.scaler, s.values[a: sp.n_train]) for s, sp, a in zip(data.series, splits, added)]
        cov_scalers = [features.covariate_scalers(s, sp.n_train) for s, sp in zip(data.series, splits)]
        use_calendar = auto.calendar(cfg.calendar, norm)
        calendar = features.calendar_features(data.series, [sp.n_train for sp in splits], data.schema.freq)
        schema = dataclasses.replace(data.schema, calendar=calendar if use_calendar else [])
        device = resolve_device(cfg.device)
        zeros = np.zeros(len(data.series), dtype=np.int64)
        channels, offsets = features.stacked_channels(data.series, schema, scalers, cov_scalers, zeros,
                                                      [sp.n_fit for sp in splits], zeros)  # (T, C) float32
        tensor = torch.from_numpy(channels).to(device)
        known = features.known_channels(schema)
        train_set = WindowSet(tensor, _starts(offsets, splits, lookback, horizon, "train"), lookback, horizon, known)
        val_set = WindowSet(tensor, _starts(offsets, splits, lookback, horizon, "val"), lookback, horizon, known)
        dropout = auto.dropout(cfg.dropout, [sp.n_train - a for sp, a in zip(splits, added)], horizon)
        # The season's change helps where seasonal naive is the base (M4 Hourly), not over ETTh1's last value
        # (test MSE at H=96 0.0517 without, 0.0570 with).
        shape = NetworkShape(cfg.cell, features.channel_count(schema), cfg.hidden_size, cfg.num_layers, dropout,
                             horizon, 1 + len(cfg.quantiles), norm, known, season=season,
                             season_changes=norm == "season")
        nets, results = [], []
        for member in range(cfg.ensemble):
            settings = dataclasses.replace(cfg, seed=cfg.seed + member)  # train() resolves --loss auto
            # A private RNG stream: seeding must not disturb (or depend on) the caller's torch RNG.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(settings.seed)
                net = RecurrentForecaster(shape).to(device)
                result = train(net, train_set, val_set, settings, callback)
            if result.best_epoch == 0 and result.stopped not in CUT_SHORT:
                raise _unusable(result, cfg)
            if result.best_epoch > 0:
                nets.append(net)
                results.append(result)
            if result.stopped in CUT_SHORT:
                break  # a signal or a lost process ends the whole fit: the members trained so far make the model
        if not nets:
            raise _unusable(result, cfg)
        net = _combined(nets, device)
        stopped = result.stopped if result.stopped in CUT_SHORT else results[0].stopped
        result = dataclasses.replace(results[0], stopped=stopped)
        self.schema_, self.season_, self.horizon_, self.lookback_ = schema, season, horizon, lookback
        self.season_source_ = chosen.source
        self.net_, self.result_, self.device_ = net, result, device
        self.theta_share_ = 0.0  # the network's own forecasts first, to weigh Theta's against
        self.series_ = {
            s.id: {"scaler": sc.to_dict(), "training_end": time_label(s.time[sp.n_fit - 1]),
                   "mase_scale": seasonal_naive_scale(s.values[a: sp.n_fit], season),
                   "nonnegative": bool((s.values[: sp.n_fit] >= 0).all()),  # forecasts and bounds stay at or above 0
                   **({"covariate_scalers": [c.to_dict() for c in cs]} if cs else {}),
                   **({"lengthened": a} if a else {})}
            for s, sc, cs, sp, a in zip(raw.series, scalers, cov_scalers, splits, added)
        }
        self.theta_share_ = self._chosen_theta_share(data, splits, scalers)
        self._set_error_scales(data, splits, scalers)
        self.validation_, self.calibration_ = self._validate(raw, data, splits, val_set, scalers)
        return self

    def _chosen_theta_share(self, data: SeriesSet, splits: list[Split], scalers: list[Scaler]) -> float:
        """The share of Theta's forecast to blend in: as configured, or the one best on validation windows."""
        if self.config.theta_share is not None:
            return self.config.theta_share
        origins = _spread([np.arange(sp.n_train, sp.n_fit - self.horizon_ + 1) for sp in splits], THETA_WINDOWS)
        if sum(len(o) for o in origins) < MIN_RANKING_WINDOWS:
            return 0.0  # too few windows to choose by: the network's own forecast
        network = self._forecast(data, origins, scalers)[..., 0]
        actual = all_actuals([s.values for s in data.series], origins, self.horizon_)
        scales = np.repeat([sc.scale for sc in scalers], [len(o) for o in origins])
        return theta.best_share(network, self._theta(data, origins), actual, scales)

    def _theta(self, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
        """(W, H) the Theta method's forecasts from each origin (`data` in model space)."""
        histories = [s.values[max(0, o - theta.MAX_HISTORY): o] for s, os in zip(data.series, origins) for o in os]
        return theta.theta_forecasts(histories, self.horizon_, self.season_)

    def _set_error_scales(self, data: SeriesSet, splits: list[Split], scalers: list[Scaler]) -> None:
        """Store each series' error scale: the mean absolute in-sample error of the point forecast (model space).

        Intervals widen by a margin times this scale. One margin per step then fits calm and wild series
        alike: on M4 Hourly (8-epoch probe) the 95 % MSIS fell from 28.3 with the scaler's scale to 11.0.
        Training windows, not validation ones, give it, so the validation scores stay exchangeable with new ones:
        those of the last quarter of each training part, the most recent, whose rows are all the forward pass
        builds (the whole training part took 10,000 series x 1,000 steps from 1.75 to 2.2 GB).
        """
        origins = _spread([np.arange(max(self.lookback_, sp.n_train - self.horizon_ + 1 - sp.n_train // 4),
                                     sp.n_train - self.horizon_ + 1) for sp in splits], ERROR_WINDOWS)
        point = self._forecast(data, origins, scalers)[..., 0]
        actual = all_actuals([s.values for s in data.series], origins, self.horizon_)
        codes = series_of_windows(origins)
        errors = np.bincount(codes, np.abs(actual - point).mean(axis=1), len(scalers)) / np.bincount(codes, minlength=len(scalers))
        spreads = np.array([sc.scale for sc in scalers])
        # A series fitted (almost) exactly would get (almost) no interval: never below 1 % of its spread.
        scales = np.maximum(errors, MIN_ERROR_SCALE * spreads)
        for s, scale in zip(data.series, scales):
            self.series_[s.id]["error_scale"] = float(scale)
        self.error_ratio_ = float(np.median(scales / spreads))

    def _units(self, data: SeriesSet, scalers: list[Scaler], counts: list[int]) -> calibration.Units:
        """The scales of `counts[i]` windows of each series i that interval margins are measured in."""
        return calibration.Units(np.repeat(self.interval_scales(data, scalers), counts),
                                 np.repeat([sc.scale for sc in scalers], counts))

    def interval_scales(self, data: SeriesSet, scalers: list[Scaler]) -> np.ndarray:
        """(S,) what each series' split-conformal margins are in: its error scale (see `_set_error_scales`).

        A series unseen in training takes its scaler's scale times the training series' median ratio of
        the two. A model saved before error scales existed was calibrated in scaler scales.
        """
        if self.error_ratio_ is None:
            return np.array([sc.scale for sc in scalers])
        return np.array([self.series_.get(s.id, {}).get("error_scale", sc.scale * self.error_ratio_)
                         for s, sc in zip(data.series, scalers)], dtype=np.float64)

    def _validate(self, raw, data, splits, val_set, scalers) -> tuple[dict[str, float], dict[str, dict]]:
        """Point metrics of the restored network on the validation windows (data units), and the calibration they give.

        `raw` is the data as read, `data` the same in model space (see `transform`), where calibration works.
        """
        quantiles = torch.tensor(self.quantiles_, dtype=torch.float32, device=self.device_)
        # Many long series have millions of validation windows; an even sample ranks and calibrates as well.
        scores = {"loss": mean_loss(self.net_, val_set.spread(VALIDATION_WINDOWS), self.resolved_config().loss, quantiles,
                                    self.config.precision)}
        origins = _spread([np.arange(sp.n_train, sp.n_fit - self.horizon_ + 1) for sp in splits], VALIDATION_WINDOWS)
        output = self._forecast(data, origins, scalers)  # (W, H, 1 + Q), model space
        actual = all_actuals([s.values for s in raw.series], origins, self.horizon_)
        modelled = all_actuals([s.values for s in data.series], origins, self.horizon_)
        codes = series_of_windows(origins)
        scales = np.array([seasonal_naive_scale(s.values[: sp.n_train], self.season_) for s, sp in zip(raw.series, splits)])
        point = np.maximum(_finite(transform.from_model(output[..., 0], self.transform_), raw, origins),
                           self._floors(raw, origins)[:, None])  # as predict gives it
        scores.update(point_scores(actual, point, codes, scales))
        units = self._units(data, scalers, [len(o) for o in origins])
        # The network was never fitted to these windows (early stopping only chose its epoch), so their errors
        # stand for the errors on new data: the calibration rests on that.
        return scores, calibration.calibrate(output, modelled, units, self.quantiles_, self.config.levels)

    # ------------------------------------------------------------- predicting
    def predict(self, data: SeriesSet | pd.DataFrame, horizon: int | None = None,
                levels: list[float] | None = None) -> pd.DataFrame:
        """Forecast the steps after the end of each series: long frame `series, timestamp, forecast[, q…]`.

        The quantile columns are the trained quantiles and the bounds of the calibrated intervals
        (`levels`, in %: all calibrated ones by default), in increasing level.
        """
        self._check_fitted()
        data = self.series_set(data)
        steps = self._checked_horizon(horizon)
        origins = [np.array([len(s)]) for s in data.series]
        self.check_history(data, origins)
        self._check_future_covariates(data, steps)
        point, columns = self.quantiles_at(data, origins, levels)  # (S, H), {q: (S, H)}
        times = features.future_steps(data.series, [len(s) for s in data.series], [steps] * len(data.series),
                                      data.schema.freq)
        # One frame for all series (not one per series, concatenated): rows series by series, then step by step.
        return pd.DataFrame({"series": np.repeat(np.array(data.ids, dtype=object), steps),
                             "timestamp": times[0].append(times[1:]),
                             "forecast": point[:, :steps].ravel(),  # (S, steps) -> (S * steps,)
                             **{f"q{q:g}": values[:, :steps].ravel() for q, values in columns.items()}})

    def quantiles_at(self, data: SeriesSet, origins: list[np.ndarray], levels: list[float] | None = None,
                     scalers: list[Scaler] | None = None, rolling: bool = False) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Point forecasts (W, H) and every quantile column {level: (W, H)}, calibrated and never crossing.

        With `rolling` (a backtest, where every window's horizon lies in `data`), the margins roll: each
        window's come from the errors seen before its origin (see `calibration.rolling`).
        """
        model = transform.to_model(data, self.transform_)
        scalers = scalers or self._scalers(model)
        output = self._forecast(model, origins, scalers)
        # Each window's interval widens with its own series' scale: one calibration serves series of any size.
        units = self._units(model, scalers, [len(o) for o in origins])
        calibrated = self.calibrated(levels)
        if rolling:
            actual = all_actuals([s.values for s in model.series], origins, self.horizon_)
            calibrated = calibration.rolling(calibrated, output, actual, units, origins, self.quantiles_)
        # Quantiles trained only as the bases of intervals (--quantiles auto) are shown only as calibrated bounds.
        shown = self.quantiles_ if self.config.quantiles is not None else []
        columns = calibration.quantile_columns(output, units, self.quantiles_, calibrated, shown)
        floors = self._floors(data, origins)[:, None]  # (W, 1)
        point = np.maximum(transform.from_model(output[..., 0], self.transform_), floors)
        columns = {q: np.maximum(transform.from_model(values, self.transform_), floors) for q, values in columns.items()}
        # exp may overflow, and a margin edited into config.json by hand could too
        _finite(np.stack([point, *columns.values()], axis=-1), data, origins)
        return point, columns

    def _floors(self, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
        """(W,) the lowest forecast or bound of each window: 0 where its series was never negative in training, else -inf.

        A series unseen in training is judged by its history before its first origin. A model saved before the
        domain was recorded clips nothing.
        """
        recorded = any("nonnegative" in info for info in self.series_.values())
        floors = []
        for s, o in zip(data.series, origins):
            info = self.series_.get(s.id)
            history = s.values[: o.min()] if len(o) else s.values[:0]
            never_negative = (info.get("nonnegative", False) if info is not None
                              else recorded and len(history) > 0 and bool((history >= 0).all()))
            floors.append(np.full(len(o), 0.0 if never_negative else -np.inf))
        return np.concatenate(floors) if floors else np.zeros(0)

    def calibrated(self, levels: list[float] | None = None) -> dict[str, dict]:
        """The stored calibration of the asked levels (in %; None: every calibrated level)."""
        self._check_fitted()
        return self.calibration_ if levels is None else calibration.select(self.calibration_, levels)

    def forecast_at(self, data: SeriesSet, origins: list[np.ndarray], scalers: list[Scaler] | None = None) -> np.ndarray:
        """Forecasts from many origins per series in batched forward passes: (W, H, 1 + Q), data units.

        `origins[i]` are positions in series i; each forecast uses only the lookback
        steps before its origin. Windows come in series order, then origin order.
        """
        self._check_fitted()
        model = transform.to_model(data, self.transform_)
        output = self._forecast(model, origins, scalers or self._scalers(model))
        return _finite(transform.from_model(output, self.transform_), data, origins)

    def _forecast(self, data: SeriesSet, origins: list[np.ndarray], scalers: list[Scaler]) -> np.ndarray:
        """`forecast_at` in model space: `data` and the (W, H, 1 + Q) forecasts are as the network models them."""
        tensor, starts = self._inputs(data, scalers, origins)
        windows = WindowSet(tensor, starts, self.lookback_, self.horizon_, self.net_.shape.known)
        self.net_.eval()
        with torch.no_grad(), autocast(self.device_, self.config.precision):
            chunks = [self.net_(windows.inputs(rows).to(self.device_)).float().cpu()
                      for rows in torch.arange(len(windows)).split(EVAL_BATCH)]
        scaled = torch.cat(chunks).numpy().astype(np.float64)  # (W, H, 1 + Q)
        # Quantile outputs are sorted so that they never cross.
        scaled[..., 1:] = np.sort(scaled[..., 1:], axis=-1)
        centers = np.concatenate([np.full(len(o), sc.center) for sc, o in zip(scalers, origins)])
        scales = np.concatenate([np.full(len(o), sc.scale) for sc, o in zip(scalers, origins)])
        output = scaled * scales[:, None, None] + centers[:, None, None]
        if self.theta_share_:
            output = theta.blended(output, self._theta(data, origins), self.theta_share_)
        return _finite(output, data, origins)

    def _inputs(self, data: SeriesSet, scalers: list[Scaler], origins: list[np.ndarray]) -> tuple[torch.Tensor, np.ndarray]:
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
        begins = np.where(used, np.clip(firsts - self.lookback_, 0, lengths), lengths)
        beyond = np.where(used & bool(self.net_.shape.known), np.maximum(0, lasts + self.horizon_ - lengths), 0)
        cov_scalers = [self._covariate_scalers(s) for s in data.series]
        channels, offsets = features.stacked_channels(data.series, self.schema_, scalers, cov_scalers, begins, lengths,
                                                      beyond)  # (T, C) float32
        # Row r of series i lies at offsets[i] + r - begins[i].
        starts = np.concatenate([origin_starts(off - a, o, self.lookback_) for off, a, o in zip(offsets, begins, origins)])
        return torch.from_numpy(channels), starts

    def _covariate_scalers(self, series: Series) -> list[Scaler]:
        """A series' training covariate scalers; a series unseen in training is scaled by its own history."""
        info = self.series_.get(series.id)
        if info is not None and "covariate_scalers" in info:
            return [Scaler(**c) for c in info["covariate_scalers"]]
        return features.covariate_scalers(series, len(series))

    def scalers_for(self, data: SeriesSet) -> list[Scaler]:
        """Each series' training scaler (of model-space values); a series unseen in training is scaled by its own history."""
        return self._scalers(transform.to_model(data, self.transform_))

    def _scalers(self, data: SeriesSet) -> list[Scaler]:
        """`scalers_for` of data already in model space."""
        return [Scaler(**self.series_[s.id]["scaler"]) if s.id in self.series_ else fit_scaler(self.config.scaler, s.values)
                for s in data.series]

    def series_set(self, data: SeriesSet | pd.DataFrame) -> SeriesSet:
        """`data` read with the schema the model was trained on (and on the same kind of clock)."""
        self._check_fitted()
        data = self._series_set(data, schema=self.schema_)
        check_time_zone(data, self.training_end(next(iter(self.series_))))
        # Series that fit lengthened are lengthened alike; any other too short for the lookback is refused later.
        data, _ = padding.padded(data, [len(s) + self.series_.get(s.id, {}).get("lengthened", 0) for s in data.series])
        return data

    def training_end(self, series_id: str) -> object | None:
        """The last timestamp (or step) of a series used in fitting; None for an unseen series."""
        info = self.series_.get(series_id)
        return None if info is None else parse_time_label(info["training_end"], self.schema_.freq)

    def fitted_length(self, series: Series) -> int | None:
        """How many leading steps of `series` lie at or before its training end; None for an unseen series."""
        end = self.training_end(series.id)
        return None if end is None else int(series.time.searchsorted(end, side="right"))

    def resolved_config(self) -> Config:
        """The settings with every automatic choice filled in: what a refit must reuse.

        `--quantiles auto` stays automatic: with the window norm fixed it trains the bounds of the levels a
        refit is asked for, and keeps them out of the output as the original model does.
        """
        self._check_fitted()
        norm = self.net_.shape.window_norm
        return dataclasses.replace(self.config, lookback=self.lookback_, horizon=self.horizon_, season=self.season_,
                                   window_norm=norm, loss=auto.loss(self.config.loss, norm), transform=self.transform_,
                                   dropout=self.net_.shape.dropout,
                                   threads=None)  # a machine's setting, not the model's: a refit runs as the process does

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path, force: bool = False) -> None:
        """Write the model directory of SPEC §4 atomically; an existing one needs `force`."""
        self._check_fitted()
        persistence.save_model(Path(path), self._manifest(), self.net_.state_dict(), force=force)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Forecaster:
        """Rebuild a saved forecaster; refuses damaged, foreign or tampered directories."""
        manifest, tensors = persistence.load_model(Path(path))
        try:
            model = cls(Config.from_dict(manifest["config"]))
            shape = NetworkShape(**manifest["network"])
            model.net_ = build_network(shape)
            model.net_.load_state_dict(tensors, strict=True)
            model.schema_ = Schema.from_dict(manifest["schema"])
            features.check_channels(model.schema_, shape.input_size, shape.known)
            model.lookback_, model.horizon_, model.season_ = manifest["lookback"], manifest["horizon"], manifest["season"]
            model.season_source_ = manifest.get("season_source")  # models saved before it was recorded: None
            model.series_ = manifest["series"]
            model.validation_ = manifest.get("validation", {})
            # A model saved before calibration existed has none: it forecasts without intervals.
            model.calibration_ = manifest.get("calibration", {})
            model.error_ratio_ = manifest.get("error_ratio")
            model.theta_share_ = manifest.get("theta_share", 0.0)  # models saved before blending: the network alone
            model.transform_ = manifest.get("transform", "none")  # models saved before transforms modelled values as given
            # Models saved before automatic quantiles stored their config's list here too.
            model.quantiles_ = manifest.get("quantiles", model.config.quantiles or [])
            calibration.check_methods(model.calibration_, model.quantiles_)
            model.result_ = TrainingResult(stopped=manifest.get("stopped", "unknown"))
        except (TypeError, KeyError, ValueError, RuntimeError, ConfigError) as exc:
            raise ModelFileError(f"{path}: the model config and weights do not fit together ({exc}); retrain the model") from None
        model.device_ = resolve_device(device)
        model.net_.to(model.device_).eval()
        model.manifest_ = manifest
        return model

    def _manifest(self) -> dict[str, Any]:
        from forecaster import __version__

        return {
            "versions": {"forecaster": __version__, "torch": torch.__version__, "python": platform.python_version()},
            "config": self.config.to_dict(),
            "schema": self.schema_.to_dict(),
            "network": dataclasses.asdict(self.net_.shape),
            "lookback": self.lookback_,
            "horizon": self.horizon_,
            "season": self.season_,
            "season_source": self.season_source_,
            "quantiles": self.quantiles_,
            "series": self.series_,
            "history": [r.to_dict() for r in self.result_.history],
            "best_epoch": self.result_.best_epoch,
            "stopped": self.result_.stopped,
            "validation": self.validation_,
            "calibration": self.calibration_,
            "error_ratio": self.error_ratio_,
            "transform": self.transform_,
            "theta_share": self.theta_share_,
        }

    # ---------------------------------------------------------------- helpers
    def _series_set(self, data: SeriesSet | pd.DataFrame, schema: Schema | None,
                    needs: MinLength | None = None) -> SeriesSet:
        if isinstance(data, SeriesSet):
            if schema is not None:
                _check_schema(data, schema)
            return data
        if isinstance(data, pd.DataFrame):
            return series_from_frame(data, self.config, source="data", schema=schema, needs=needs)
        raise TypeError(f"expected a pandas DataFrame or SeriesSet, got {type(data).__name__}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError("this Forecaster is not fitted yet; call fit(data) or Forecaster.load(path) first")

    def _checked_horizon(self, horizon: int | None) -> int:
        if horizon is None:
            return self.horizon_
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= self.horizon_:
            raise ConfigError(f"--horizon must be between 1 and the trained horizon {self.horizon_}, got {horizon!r}")
        return horizon

    def _check_future_covariates(self, data: SeriesSet, steps: int) -> None:
        """Refuse to forecast steps whose future covariates the data does not give (rows after the last value)."""
        names = self.schema_.future_covariates
        for s in data.series if names else []:
            given = 0 if s.future is None else len(s.future)
            if given < steps:
                missing = future_index(s.time[-1], data.schema.freq, steps, axis_step(s.time))[given:]
                span = time_label(missing[0]) if len(missing) == 1 else f"{time_label(missing[0])} to {time_label(missing[-1])}"
                raise DataError(
                    f"{data.source}: series {s.id!r} has no future covariate values ({', '.join(names)}) for "
                    f"{len(missing)} of the {steps} forecast steps: {span}; add those rows after the last value, "
                    "with the covariates filled in and the target left empty"
                )

    def check_history(self, data: SeriesSet, origins: list[np.ndarray]) -> None:
        """Refuse origins with less than a lookback of history before them."""
        for s, o in zip(data.series, origins):
            if len(o) and o.min() < self.lookback_:
                raise DataError(
                    f"{data.source}: series {s.id!r} has {int(o.min())} steps before its forecast origin; "
                    f"the model needs the last {self.lookback_} (its lookback)"
                )


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


def _finite(forecasts: np.ndarray, data: SeriesSet, origins: list[np.ndarray]) -> np.ndarray:
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


def _spread(origins: list[np.ndarray], limit: int) -> list[np.ndarray]:
    """About `limit` origins in all, evenly spaced within each series; every series keeps at least one."""
    total = sum(len(o) for o in origins)
    if total <= limit:
        return origins
    share = limit / total
    return [o[np.unique(np.linspace(0, len(o) - 1, max(1, round(len(o) * share))).round().astype(np.int64))]
            if len(o) else o for o in origins]


def training_length(cfg: Config) -> MinLength:
    """The steps `fit` needs of each series at the least, known before the data, and the refusal of a shorter one.

    Loading refuses shorter series before building them: millions of tiny series cost gigabytes first.
    """
    horizon = cfg.horizon or 2  # the automatic horizon is the season (above 1) or 10
    # An automatic lookback lengthens short series: two real steps of training history are enough.
    training = cfg.lookback + horizon if cfg.lookback else MIN_HISTORY
    steps = training + max(horizon, cfg.val_size or 0) + cfg.holdout

    def refusal(source: str, series_id: str, length: int) -> str:
        return _too_short(source, series_id, length, cfg.lookback, cfg.horizon or "(at least 2)", cfg.val_size,
                          cfg.holdout)

    return MinLength(steps, refusal)


def _check_lengths(data: SeriesSet, splits: list[Split], lookback: int, horizon: int, cfg: Config) -> None:
    # Short series are lengthened only where the lookback is automatic and the median series holds a window.
    typical = int(np.median([sp.n_train for sp in splits]))
    lengthens = cfg.lookback is None and typical >= lookback + horizon
    training = MIN_HISTORY if lengthens else lookback + horizon
    for s, sp in zip(data.series, splits):
        if sp.n_train < training or sp.n_fit - sp.n_train < horizon:
            val = sp.n_fit - sp.n_train
            shown = None if lengthens else lookback
            raise DataError(_too_short(data.source, s.id, len(s), shown, horizon, val, cfg.holdout))


def _too_short(source: str, series_id: str, length: int, lookback: int | None, horizon: int | str, val: int | None,
               holdout: int) -> str:
    """The refusal of a series too short to fit; with an automatic lookback (None) only two steps of history are needed."""
    now = f" (now {val})" if val is not None else ""
    least = horizon if isinstance(horizon, int) else "one horizon"
    training = f"lookback {lookback} + horizon {horizon} of training" if lookback else "two steps of history"
    lower = "--lookback, --horizon" if lookback else "--horizon"
    return (f"{source}: series {series_id!r} has {length} steps, too short for {training}, a validation part of at "
            f"least {least}{now} and a holdout of {holdout}; lower {lower}, --val-size or --holdout, or give more data")


def _lengthened(data: SeriesSet, splits: list[Split], training: int) -> tuple[SeriesSet, list[Split], list[int]]:
    """`data` with every training part shorter than `training` steps lengthened at its start; the new splits; steps added."""
    added = [max(0, training - sp.n_train) for sp in splits]
    data, _ = padding.padded(data, [len(s) + a for s, a in zip(data.series, added)])
    return data, [Split(sp.n_train + a, sp.n_fit + a) for sp, a in zip(splits, added)], added


def _starts(offsets: np.ndarray, splits: list[Split], lookback: int, horizon: int, part: str) -> np.ndarray:
    """Window starts whose targets lie inside the training part ("train") or the validation part ("val")."""
    if part == "train":
        ranges = [np.arange(lookback, sp.n_train - horizon + 1) for sp in splits]
    else:
        ranges = [np.arange(sp.n_train, sp.n_fit - horizon + 1) for sp in splits]
    return np.concatenate([origin_starts(off, r, lookback) for off, r in zip(offsets, ranges)])


def _combined(nets: list[RecurrentForecaster], device: torch.device) -> torch.nn.Module:
    """One network from the fitted members: the member itself, or a median ensemble of several."""
    if len(nets) == 1:
        return nets[0]
    ensemble = build_network(dataclasses.replace(nets[0].shape, members=len(nets))).to(device)
    for member, net in zip(ensemble.members, nets):
        member.load_state_dict(net.state_dict())
    return ensemble.eval()


def _check_schema(data: SeriesSet, schema: Schema) -> None:
    if data.schema.freq != schema.freq:
        raise DataError(f"{data.source}: frequency {data.schema.freq!r} differs from the model's {schema.freq!r}")


def _unusable(result: TrainingResult, cfg: Config) -> Exception:
    if result.stopped == "interrupted":
        return KeyboardInterrupt()
    if result.stopped == "peer_lost":
        return TrainingError("another training process stopped before the first epoch ended; nothing was saved; "
                             "see its own messages for why")
    return TrainingError(
        f"training diverged in the first epoch (the loss became NaN or infinite) at --lr {cfg.lr}; "
        "nothing was saved; lower --lr, keep --grad-clip on, or check the data for extreme values"
    )
