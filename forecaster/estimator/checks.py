"""The checks that data fits a model: lengths for fitting, and schema, history, horizon and covariates for forecasting.

Each raises the project's error naming the series, the step or the setting at fault.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster import padding
from forecaster.config import Config
from forecaster.data import MinLength, Schema, SeriesSet, check_time_zone, series_from_frame
from forecaster.errors import ConfigError, DataError
from forecaster.estimator.state import FittedState
from forecaster.data.timeaxis import axis_step, future_index, time_label
from forecaster.windows import Split

MIN_HISTORY = 2  # real steps a series' training part holds at the least when short series are lengthened


def series_set(data: SeriesSet | pd.DataFrame, config: Config, schema: Schema | None,
               needs: MinLength | None = None) -> SeriesSet:
    """`data` as series: a SeriesSet as it is (its frequency checked against `schema`), a DataFrame read."""
    if isinstance(data, SeriesSet):
        if schema is not None:
            _check_schema(data, schema)
        return data
    if isinstance(data, pd.DataFrame):
        return series_from_frame(data, config, source="data", schema=schema, needs=needs)
    raise TypeError(f"expected a pandas DataFrame or SeriesSet, got {type(data).__name__}")


def series_for(state: FittedState, data: SeriesSet | pd.DataFrame) -> SeriesSet:
    """`data` read with the schema the model was trained on (and on the same kind of clock)."""
    data = series_set(data, state.config, schema=state.schema)
    check_time_zone(data, state.training_end(next(iter(state.series))))
    # Series that fit lengthened are lengthened alike; any other too short for the lookback is refused later.
    data, _ = padding.padded(data, [len(s) + state.series.get(s.id, {}).get("lengthened", 0) for s in data.series])
    return data


def _check_schema(data: SeriesSet, schema: Schema) -> None:
    if data.schema.freq != schema.freq:
        raise DataError(f"{data.source}: frequency {data.schema.freq!r} differs from the model's {schema.freq!r}")


def training_length(cfg: Config) -> MinLength:
    """The steps `fit` needs of each series at the least, known before the data, and the refusal of a shorter one.

    Loading refuses shorter series before building them: millions of tiny series cost gigabytes first.
    """
    horizon = cfg.horizon or 2  # the automatic horizon is the season (above 1) or 10
    # An automatic lookback lengthens short series: two real steps of training history are enough.
    training = cfg.lookback + horizon if cfg.lookback else MIN_HISTORY
    steps = training + max(horizon, cfg.val_size or 0) + cfg.holdout

    def refusal(source: str, series_id: str, length: int) -> str:
        return too_short(source, series_id, length, cfg.lookback, cfg.horizon or "(at least 2)", cfg.val_size,
                         cfg.holdout)

    return MinLength(steps, refusal)


def check_lengths(data: SeriesSet, splits: list[Split], lookback: int, horizon: int, cfg: Config) -> None:
    """Refuse a series whose training part cannot hold one window (two steps, where it is lengthened) or whose
    validation part one horizon."""
    # Short series are lengthened only where the lookback is automatic and the median series holds a window.
    typical = int(np.median([sp.n_train for sp in splits]))
    lengthens = cfg.lookback is None and typical >= lookback + horizon
    training = MIN_HISTORY if lengthens else lookback + horizon
    for s, sp in zip(data.series, splits):
        if sp.n_train < training or sp.n_fit - sp.n_train < horizon:
            val = sp.n_fit - sp.n_train
            shown = None if lengthens else lookback
            raise DataError(too_short(data.source, s.id, len(s), shown, horizon, val, cfg.holdout))


def too_short(source: str, series_id: str, length: int, lookback: int | None, horizon: int | str, val: int | None,
              holdout: int) -> str:
    """The refusal of a series too short to fit; with an automatic lookback (None) only two steps of history are needed."""
    now = f" (now {val})" if val is not None else ""
    least = horizon if isinstance(horizon, int) else "one horizon"
    training = f"lookback {lookback} + horizon {horizon} of training" if lookback else "two steps of history"
    lower = "`lookback`, `horizon`" if lookback else "`horizon`"
    return (f"{source}: series {series_id!r} has {length} steps, too short for {training}, a validation part of at "
            f"least {least}{now} and a holdout of {holdout}; lower {lower}, `val_size` or `holdout`, or give more data")


def checked_horizon(state: FittedState, horizon: int | None) -> int:
    """The steps to forecast: the trained horizon, or fewer."""
    if horizon is None:
        return state.horizon
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= state.horizon:
        raise ConfigError(f"`horizon` must be between 1 and the trained horizon {state.horizon}, got {horizon!r}")
    return horizon


def check_history(state: FittedState, data: SeriesSet, origins: list[np.ndarray]) -> None:
    """Refuse origins with less than a lookback of history before them."""
    for s, o in zip(data.series, origins):
        if len(o) and o.min() < state.lookback:
            raise DataError(
                f"{data.source}: series {s.id!r} has {int(o.min())} steps before its forecast origin; "
                f"the model needs the last {state.lookback} (its lookback)"
            )


def check_future_covariates(state: FittedState, data: SeriesSet, steps: int) -> None:
    """Refuse to forecast steps whose future covariates the data does not give (rows after the last value)."""
    names = state.schema.future_covariates
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
