"""Fitting: series in, a `FittedState` out.

The steps, in order: resolve the automatic settings (`_planned`), scale and window the training and
validation parts (`_windows`), train the members (`_trained`), then learn what rests on the trained
network: the share of Theta's forecast, each series' error scale, and the validation scores and
calibration. Everything is computed into locals; the caller gets one finished state or an error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from forecaster import auto, calibration, distributed, features, padding, seasonality, theta, transform
from forecaster.config import MIN_RANKING_WINDOWS, Config
from forecaster.data import SeriesSet
from forecaster.errors import TrainingError
from forecaster.estimator import checks, inference
from forecaster.estimator.state import FittedState, TrainingResult
from forecaster.metrics import point_scores, seasonal_naive_scale
from forecaster.model import NetworkShape, RecurrentForecaster, build_network
from forecaster.scaling import Scaler, fit_scaler
from forecaster.data.timeaxis import time_label
from forecaster.training import CUT_SHORT, mean_loss, resolve_device, train
from forecaster.windows import Split, WindowSet, all_actuals, origin_starts, series_of_windows, split_bounds

# Validation windows sampled after training, at most: evenly spread, they rank and calibrate as well as all.
VALIDATION_WINDOWS = 50_000  # scored and calibrated on
THETA_WINDOWS = 4_000  # the share of Theta's forecast is chosen on
ERROR_WINDOWS = 20_000  # training windows whose in-sample errors give the series' error scales
MIN_ERROR_SCALE = 0.01  # an error scale is at least this share of the series' scaler scale


@dataclass(frozen=True)
class _Plan:
    """The automatic settings resolved for one fit, and the split of every series."""

    config: Config  # with the quantiles and the segment the network is trained with
    season: seasonality.Season
    horizon: int
    lookback: int
    splits: list[Split]  # of the lengthened series
    added: list[int]  # steps each series was lengthened by at its start (`padding`); they are never scored
    norm: str  # the window norm
    transform: str


def fitted(config: Config, data: SeriesSet, callback=None) -> FittedState:
    """Train on every series in `data` (read as given). Interrupted training keeps the best epoch so far."""
    plan, data = _planned(config, data)
    raw, data = data, transform.to_model(data, plan.transform)
    scalers = [fit_scaler(config.scaler, s.values[a: sp.n_train]) for s, sp, a in zip(data.series, plan.splits, plan.added)]
    cov_scalers = [features.covariate_scalers(s, sp.n_train) for s, sp in zip(data.series, plan.splits)]
    n_train = [sp.n_train for sp in plan.splits]
    candidates = features.calendar_features(data.series, n_train, data.schema.freq)
    calendar = auto.calendar(config.calendar, plan.norm, candidates,
                             lambda name: features.explained_share(data.series, n_train, name, plan.season.period))
    schema = dataclasses.replace(data.schema, calendar=calendar)
    device = resolve_device(config.device)
    windows, shape = _windows(plan, data, schema, scalers, cov_scalers, device)
    net, final, result = _trained(plan.config, shape, windows, device, callback)
    state = FittedState(
        config=config, net=net, device=device, schema=schema, lookback=plan.lookback, horizon=plan.horizon,
        season=plan.season.period, season_source=plan.season.source, quantiles=plan.config.quantiles,
        transform=plan.transform, result=result,
        series={s.id: _learned_series(s, sc, cs, sp, plan.season.period, a)
                for s, sc, cs, sp, a in zip(raw.series, scalers, cov_scalers, plan.splits, plan.added)},
    )  # theta_share 0: the network's own forecasts first, to weigh Theta's against
    state = dataclasses.replace(state, theta_share=_theta_share(state, data, plan.splits, scalers))
    state = _with_error_scales(state, data, plan.splits, scalers)
    validation, calibrated = _validated(state, raw, data, plan.splits, windows.val, scalers)
    # The Theta share, error scales and calibration are those of the early-stopped network, to which the
    # validation windows are new; the network fitted again on them is the one that forecasts.
    return dataclasses.replace(state, net=final, validation=validation, calibration=calibrated)


def _planned(cfg: Config, data: SeriesSet) -> tuple[_Plan, SeriesSet]:
    """Season, horizon, splits, lookback, window norm, transform and quantiles, as set or chosen from the data.

    With an automatic lookback, series too short for it are lengthened at their start; the data returned is that.
    """
    # The holdout is never looked at, not even to find the season.
    season = seasonality.chosen_season(cfg.season, data.schema.freq,
                                       [s.values[: max(0, len(s) - cfg.holdout)] for s in data.series])
    horizon = cfg.horizon or (season.period if season.period > 1 else 10)
    splits = [split_bounds(len(s), cfg.holdout, cfg.val_size, horizon, len(data.series)) for s in data.series]
    lengths = [sp.n_train for sp in splits]
    # Whether to read segments is decided on the step-wise lookback; read in segments, the automatic one is longer.
    step_wise = cfg.lookback or auto.lookback(horizon, season.period, lengths)
    segment = auto.segment(cfg.segment, season.period, step_wise, lookback_given=cfg.lookback is not None)
    lookback = cfg.lookback or auto.lookback(horizon, season.period, lengths, segment)
    checks.check_lengths(data, splits, lookback, horizon, cfg)
    added = [0] * len(splits)
    if cfg.lookback is None:  # a series shorter than the automatic lookback needs is lengthened, not refused
        data, splits, added = _lengthened(data, splits, lookback + horizon)
    parts = [s.values[a: sp.n_train] for s, sp, a in zip(data.series, splits, added)]
    norm = auto.window_norm(cfg.window_norm, parts, horizon, season.period, lookback)
    chosen_transform = auto.transform(cfg.transform, data, norm)
    quantiles = auto.quantiles(cfg.quantiles, cfg.levels, norm)
    windows = sum(len(o) for o in _training_origins(splits, lookback, horizon))
    members = auto.ensemble(cfg.ensemble, segment, windows, cfg.windows_per_epoch)
    refit = auto.refit(cfg.refit, norm, windows, cfg.windows_per_epoch)
    plan = _Plan(dataclasses.replace(cfg, quantiles=quantiles, segment=segment, ensemble=members, refit=refit), season,
                 horizon, lookback, splits, added, norm, chosen_transform)
    return plan, data


def _lengthened(data: SeriesSet, splits: list[Split], training: int) -> tuple[SeriesSet, list[Split], list[int]]:
    """`data` with every training part shorter than `training` steps lengthened at its start; the new splits; steps added."""
    added = [max(0, training - sp.n_train) for sp in splits]
    data, _ = padding.padded(data, [len(s) + a for s, a in zip(data.series, added)])
    return data, [Split(sp.n_train + a, sp.n_fit + a) for sp, a in zip(splits, added)], added


@dataclass(frozen=True)
class _Windows:
    """The windows a fit trains on: the training part's, the validation part's, and both parts' (a refit)."""

    train: WindowSet
    val: WindowSet
    fit: WindowSet


def _windows(plan: _Plan, data: SeriesSet, schema, scalers: list[Scaler], cov_scalers: list[list[Scaler]],
             device: torch.device) -> tuple[_Windows, NetworkShape]:
    """The training, validation and refit windows over every series' channels, and the network's shape."""
    zeros = np.zeros(len(data.series), dtype=np.int64)
    channels, offsets = features.stacked_channels(data.series, schema, scalers, cov_scalers, zeros,
                                                  [sp.n_fit for sp in plan.splits], zeros)  # (T, C) float32
    tensor = torch.from_numpy(channels).to(device)
    known = features.known_channels(schema)
    lookback, horizon = plan.lookback, plan.horizon
    windows = _Windows(*(WindowSet(tensor, _starts(offsets, plan.splits, lookback, horizon, part), lookback, horizon, known)
                         for part in ("train", "val", "fit")))
    dropout = auto.dropout(plan.config.dropout, [sp.n_train - a for sp, a in zip(plan.splits, plan.added)], horizon)
    # The season's change helps where seasonal naive is the base, not over the last value (benchmarks/RESULTS.md).
    shape = NetworkShape(plan.config.cell, features.channel_count(schema), plan.config.hidden_size,
                         plan.config.num_layers, dropout, horizon, 1 + len(plan.config.quantiles), plan.norm, known,
                         season=plan.season.period, season_changes=plan.norm == "season", segment=plan.config.segment,
                         decoder=plan.config.decoder)
    return windows, shape


def _trained(cfg: Config, shape: NetworkShape, windows: _Windows, device: torch.device,
             callback) -> tuple[torch.nn.Module, torch.nn.Module, TrainingResult]:
    """The early-stopped network, the one fitted again on training and validation windows (the same one without
    `refit`), each the median of the members where there are several, and how the first member's training ended.

    Under torchrun every member trains in one process group: a group left and joined again hangs on its rendezvous.
    """
    joined, together = distributed.join(cfg.device), False
    try:
        members, result = _members(cfg, shape, windows.train, windows.val, device, callback)
        final, stopped = None, result.stopped
        if cfg.refit and stopped not in CUT_SHORT:
            final, stopped = _refitted(cfg, shape, windows, members, device, callback)
        epochs = [r.best_epoch for _, r in members] if final else []
        threads = torch.get_num_threads() if device.type == "cpu" else None  # a GPU's kernels decide its sums
        result = dataclasses.replace(result, stopped=stopped, refit_epochs=epochs, threads=threads)
        together = stopped not in CUT_SHORT
    finally:
        if joined:
            distributed.leave(together)
    net = _combined([n for n, _ in members], device)
    return net, _combined(final, device) if final else net, result


def _members(cfg: Config, shape: NetworkShape, train_set: WindowSet, val_set: WindowSet, device: torch.device,
             callback) -> tuple[list[tuple[RecurrentForecaster, TrainingResult]], TrainingResult]:
    """Each trained member with how its training went, and how the first one's ended; `_trained` within the group."""
    members = []
    for member in range(cfg.ensemble):
        net, result = _member(shape, train_set, val_set, dataclasses.replace(cfg, seed=cfg.seed + member), device,
                              callback)
        if result.best_epoch == 0 and result.stopped not in CUT_SHORT:
            raise _unusable(result, cfg)
        if result.best_epoch > 0:
            members.append((net, result))
        if result.stopped in CUT_SHORT:
            break  # a signal or a lost process ends the whole fit: the members trained so far make the model
    if not members:
        raise _unusable(result, cfg)
    stopped = result.stopped if result.stopped in CUT_SHORT else members[0][1].stopped
    return members, dataclasses.replace(members[0][1], stopped=stopped)


def _member(shape: NetworkShape, train_set: WindowSet, val_set: WindowSet, settings: Config, device: torch.device,
            callback, rates: list[float] | None = None) -> tuple[RecurrentForecaster, TrainingResult]:
    """One network trained from the seed `settings.seed` (train() resolves the automatic loss); `rates` as in `train`."""
    # A private RNG stream: seeding must not disturb (or depend on) the caller's torch RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        net = RecurrentForecaster(shape).to(device)
        result = train(net, train_set, val_set, settings, callback, rates)
    return net, result


def _refitted(cfg: Config, shape: NetworkShape, windows: _Windows,
              members: list[tuple[RecurrentForecaster, TrainingResult]], device: torch.device,
              callback) -> tuple[list[RecurrentForecaster] | None, str]:
    """Each member trained again from its seed on the training and validation windows, for its best epoch count at
    the learning rates it had then, and how the fit ended; None where a refit did not finish (the early-stopped
    members stand; a signal or a lost process still ends the fit as it would have ended training).

    The validation part holds the most recent steps; early stopping only chose the epoch count on them.
    """
    refits = []
    for member, (_, first) in enumerate(members):
        rates = [record.lr for record in first.history[: first.best_epoch]]
        settings = dataclasses.replace(cfg, seed=cfg.seed + member)
        net, refit = _member(shape, windows.fit, windows.val, settings, device, callback, rates)
        if refit.stopped in CUT_SHORT:
            return None, refit.stopped
        if refit.stopped != "max_epochs":
            return None, first.stopped  # the loss diverged on the added windows: keep what early stopping kept
        refits.append(net)
    return refits, members[0][1].stopped


def _learned_series(s, scaler: Scaler, cov_scalers: list[Scaler], sp: Split, season: int, added: int) -> dict:
    """What fitting learns of one series (read as given): its scalers, training end, MASE scale, domain, and the
    steps it was lengthened by (`padding`), which forecasting adds alike."""
    return {"scaler": scaler.to_dict(), "training_end": time_label(s.time[sp.n_fit - 1]),
            "mase_scale": seasonal_naive_scale(s.values[added: sp.n_fit], season),
            "nonnegative": bool((s.values[: sp.n_fit] >= 0).all()),  # forecasts and bounds stay at or above 0
            **({"covariate_scalers": [c.to_dict() for c in cov_scalers]} if cov_scalers else {}),
            **({"lengthened": added} if added else {})}


def _theta_share(state: FittedState, data: SeriesSet, splits: list[Split], scalers: list[Scaler]) -> float:
    """The share of Theta's forecast to blend in: as configured, or the one best on validation windows."""
    if state.config.theta_share is not None:
        return state.config.theta_share
    origins = spread(_validation_origins(splits, state.horizon), THETA_WINDOWS)
    if sum(len(o) for o in origins) < MIN_RANKING_WINDOWS:
        return 0.0  # too few windows to choose by: the network's own forecast
    network = inference.forecast(state, data, origins, scalers)[..., 0]
    actual = all_actuals([s.values for s in data.series], origins, state.horizon)
    scales = np.repeat([sc.scale for sc in scalers], [len(o) for o in origins])
    return theta.best_share(network, inference.theta_forecasts(state, data, origins), actual, scales)


def _with_error_scales(state: FittedState, data: SeriesSet, splits: list[Split], scalers: list[Scaler]) -> FittedState:
    """`state` with each series' error scale: the mean absolute in-sample error of the point forecast (model space).

    Intervals widen by a margin times this scale, so one margin per step fits calm and wild series alike
    (benchmarks/RESULTS.md). Training windows, not validation ones, give it, so the validation scores stay
    exchangeable with new ones: those of the last quarter of each training part, the most recent, whose rows
    are all the forward pass builds.
    """
    origins = spread([np.arange(max(state.lookback, sp.n_train - state.horizon + 1 - sp.n_train // 4),
                                sp.n_train - state.horizon + 1) for sp in splits], ERROR_WINDOWS)
    point = inference.forecast(state, data, origins, scalers)[..., 0]
    actual = all_actuals([s.values for s in data.series], origins, state.horizon)
    codes = series_of_windows(origins)
    errors = np.bincount(codes, np.abs(actual - point).mean(axis=1), len(scalers)) / np.bincount(codes, minlength=len(scalers))
    spreads = np.array([sc.scale for sc in scalers])
    # A series fitted (almost) exactly would get (almost) no interval: never below 1 % of its spread.
    scales = np.maximum(errors, MIN_ERROR_SCALE * spreads)
    series = {s.id: {**state.series[s.id], "error_scale": float(scale)} for s, scale in zip(data.series, scales)}
    return dataclasses.replace(state, series=series, error_ratio=float(np.median(scales / spreads)))


def _validated(state: FittedState, raw: SeriesSet, data: SeriesSet, splits: list[Split], val_set: WindowSet,
               scalers: list[Scaler]) -> tuple[dict[str, float], dict[str, dict]]:
    """Point metrics of the restored network on the validation windows (data units), and the calibration they give.

    `raw` is the data as read, `data` the same in model space (see `transform`), where calibration works.
    """
    quantiles = torch.tensor(state.quantiles, dtype=torch.float32, device=state.device)
    # Many long series have millions of validation windows; an even sample ranks and calibrates as well.
    scores = {"loss": mean_loss(state.net, val_set.spread(VALIDATION_WINDOWS), state.resolved_config().loss,
                                quantiles, state.config.precision)}
    every = _validation_origins(splits, state.horizon)
    origins = spread(every, VALIDATION_WINDOWS)
    output = inference.forecast(state, data, origins, scalers)  # (W, H, 1 + Q), model space
    actual = all_actuals([s.values for s in raw.series], origins, state.horizon)
    modelled = all_actuals([s.values for s in data.series], origins, state.horizon)
    codes = series_of_windows(origins)
    scales = np.array([seasonal_naive_scale(s.values[: sp.n_train], state.season) for s, sp in zip(raw.series, splits)])
    point = np.maximum(inference.finite(transform.from_model(output[..., 0], state.transform), raw, origins),
                       inference.floors(state, raw, origins)[:, None])  # as predict gives it
    scores.update(point_scores(actual, point, codes, scales))
    scores["windows"] = sum(len(o) for o in every)  # all of them, sampled or not: fewer than 8 rank nothing
    units = inference.interval_units(state, data, scalers, [len(o) for o in origins])
    # The network was never fitted to these windows (early stopping only chose its epoch), so their errors
    # stand for the errors on new data: the calibration rests on that.
    return scores, calibration.calibrate(output, modelled, units, state.quantiles, state.config.levels)


def spread(origins: list[np.ndarray], limit: int) -> list[np.ndarray]:
    """About `limit` origins in all, evenly spaced within each series; every series keeps at least one."""
    total = sum(len(o) for o in origins)
    if total <= limit:
        return origins
    share = limit / total
    return [o[np.unique(np.linspace(0, len(o) - 1, max(1, round(len(o) * share))).round().astype(np.int64))]
            if len(o) else o for o in origins]


def _starts(offsets: np.ndarray, splits: list[Split], lookback: int, horizon: int, part: str) -> np.ndarray:
    """Window starts whose targets lie inside the training part ("train"), the validation part ("val") or both ("fit")."""
    ranges = {"train": lambda: _training_origins(splits, lookback, horizon),
              "val": lambda: _validation_origins(splits, horizon),
              "fit": lambda: [np.arange(lookback, sp.n_fit - horizon + 1) for sp in splits]}[part]()
    return np.concatenate([origin_starts(off, r, lookback) for off, r in zip(offsets, ranges)])


def _training_origins(splits: list[Split], lookback: int, horizon: int) -> list[np.ndarray]:
    """Each series' forecast origins with a lookback of history before them and H targets in its training part."""
    return [np.arange(lookback, sp.n_train - horizon + 1) for sp in splits]


def _validation_origins(splits: list[Split], horizon: int) -> list[np.ndarray]:
    """Each series' forecast origins whose H targets all lie in its validation part."""
    return [np.arange(sp.n_train, sp.n_fit - horizon + 1) for sp in splits]


def _combined(nets: list[RecurrentForecaster], device: torch.device) -> torch.nn.Module:
    """One network from the fitted members: the member itself, or a median ensemble of several."""
    if len(nets) == 1:
        return nets[0]
    with torch.random.fork_rng(devices=[]):  # the members' initial weights are overwritten: the caller's RNG is not drawn on
        ensemble = build_network(dataclasses.replace(nets[0].shape, members=len(nets))).to(device)
    for member, net in zip(ensemble.members, nets):
        member.load_state_dict(net.state_dict())
    return ensemble.eval()


def _unusable(result: TrainingResult, cfg: Config) -> Exception:
    if result.stopped == "interrupted":
        return KeyboardInterrupt()
    if result.stopped == "peer_lost":
        return TrainingError("another training process stopped before the first epoch ended; nothing was saved; "
                             "see its own messages for why")
    return TrainingError(
        f"training diverged in the first epoch (the loss became NaN or infinite) at `lr` {cfg.lr}; "
        "nothing was saved; lower `lr`, keep `grad_clip` on, or check the data for extreme values"
    )
