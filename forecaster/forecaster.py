"""The estimator: `Forecaster(...).fit(data)`, `.predict(data)`, `.save(path)`, `Forecaster.load(path)`.

scikit-learn style: `__init__` only stores settings; `fit` validates, resets and returns self; the
learned state is one `FittedState` (`state_`), assigned once at the end of `fit`, so a fit that fails
leaves the previous model whole. Its fields read as attributes ending in `_` (`horizon_`, `net_`, ...);
using them unfitted raises AttributeError, and predicting or saving unfitted raises NotFittedError.
The work happens behind it, in `estimator/`: fitting, inference and the checks that data fits a model.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from forecaster import loading, persistence
from forecaster.config import Config
from forecaster.data import SeriesSet
from forecaster.errors import ConfigError, ModelFileError, NotFittedError
from forecaster.estimator import checks, fitting, inference
from forecaster.estimator.state import FittedState
from forecaster.threads import threads_limited
from forecaster.training import resolve_device

# The learned attributes: each field of the fitted state, read as `<field>_`.
_LEARNED = {f"{f.name}_" for f in dataclasses.fields(FittedState)} - {"config_"}


class Forecaster:
    """A recurrent (LSTM/GRU/RNN) forecaster over one or many series."""

    def __init__(self, config: Config | None = None, **settings: Any) -> None:
        base = config if config is not None else Config()
        self.config = dataclasses.replace(base, **settings) if settings else base

    def __getattr__(self, name: str) -> Any:
        state = self.__dict__.get("state_")
        if state is not None and name in _LEARNED:
            return getattr(state, name[:-1])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def fit(self, data: SeriesSet | pd.DataFrame, callback=None) -> Forecaster:
        """Train on every series in `data`; returns self. Interrupted training keeps the best epoch so far."""
        with threads_limited(self.config.threads):
            series = checks.series_set(data, self.config, schema=None, needs=checks.training_length(self.config))
            self.state_ = fitting.fitted(self.config, series, callback)
        return self

    def predict(self, data: SeriesSet | pd.DataFrame, horizon: int | None = None,
                levels: list[float] | None = None) -> pd.DataFrame:
        """Forecast the steps after the end of each series: long frame `series, timestamp, forecast[, q…]`.

        The quantile columns are the trained quantiles and the bounds of the calibrated intervals
        (`levels`, in %: all calibrated ones by default), in increasing level.
        """
        return inference.predicted(self._state(), self.series_set(data), horizon, levels)

    def series_set(self, data: SeriesSet | pd.DataFrame) -> SeriesSet:
        """`data` read with the schema the model was trained on (and on the same kind of clock)."""
        return checks.series_for(self._state(), data)

    def save(self, path: str | Path, force: bool = False) -> None:
        """Write the model directory of SPEC §4 atomically; an existing one needs `force`."""
        state = self._state()
        persistence.save_model(Path(path), state.to_manifest(), state.net.state_dict(), force=force)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Forecaster:
        """Rebuild a saved forecaster; refuses damaged, foreign or tampered directories."""
        manifest, tensors = loading.load_model(Path(path))
        try:
            state = FittedState.from_manifest(manifest, tensors)
        except (TypeError, KeyError, ValueError, RuntimeError, ConfigError) as exc:
            raise ModelFileError(f"{path}: the model config and weights do not fit together ({exc}); retrain the model") from None
        where = resolve_device(device)
        model = cls(state.config)
        model.state_ = dataclasses.replace(state, net=state.net.to(where).eval(), device=where)
        return model

    def _state(self) -> FittedState:
        if "state_" not in self.__dict__:
            raise NotFittedError("this Forecaster is not fitted yet; call fit(data) or Forecaster.load(path) first")
        return self.state_
