"""The fitted state: every field a Forecaster learns, and its one way to and from `config.json`.

`fit` builds one in locals and hands it over whole; `load` reads one; `save` writes one; inference
and backtests read one. Formats saved by older versions are upgraded in `from_manifest`, and only there.
Only the standard library is imported at the top: `manifest` (and so `forecaster info`) reads the
training history's fields from here without loading torch.
"""

from __future__ import annotations

import dataclasses
import math
import platform
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from forecaster.config import Config

if TYPE_CHECKING:
    import torch

    from forecaster.data import Schema, Series


@dataclass
class EpochRecord:
    """What one epoch did; the list of these is the training history saved with the model."""

    epoch: int
    train_loss: float
    val_loss: float
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


EPOCH_FIELDS = tuple(f.name for f in dataclasses.fields(EpochRecord))  # what each saved epoch holds


@dataclass
class TrainingResult:
    """How training ended; the network holds the best weights when it returns."""

    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0  # 0: no epoch finished with a finite validation loss
    best_val_loss: float = math.inf
    stopped: str = "max_epochs"  # max_epochs | early_stopping | interrupted | peer_lost | diverged
    refit_epochs: list[int] = field(default_factory=list)  # each member's epochs on training + validation; []: none
    # The CPU threads torch trained on: they round sums differently, so the same seed and data on the same CPU give
    # the same weights bit for bit only with the same count. None: saved before it was recorded, or trained on a GPU.
    threads: int | None = None


@dataclass(frozen=True)
class FittedState:
    """Everything `fit` learns. The network's architecture is `net.shape`; the settings are `config`."""

    config: Config  # the settings as given: automatic ones stay automatic (see `resolved_config`)
    net: torch.nn.Module  # the trained network; a median ensemble of `net.shape.members` networks
    device: torch.device  # where `net` runs
    schema: Schema  # how files map to series, with the calendar features chosen in fitting
    lookback: int
    horizon: int
    season: int
    season_source: str | None  # given | frequency | detected | none; None: saved before it was recorded
    quantiles: list[float]  # the network's quantile outputs, automatic ones (interval bases) included
    transform: str  # "log" | "none": the space the network models values in
    # Per series id: scaler, training_end, mase_scale, nonnegative[, covariate_scalers][, error_scale].
    series: dict[str, dict]
    result: TrainingResult
    validation: dict[str, float] = field(default_factory=dict)  # point scores on the validation windows
    calibration: dict[str, dict] = field(default_factory=dict)  # level in % -> method, margins, windows
    error_ratio: float | None = None  # median error scale / scaler scale; None: saved before error scales
    theta_share: float = 0.0  # share of Theta's forecast blended into the network's

    def resolved_config(self) -> Config:
        """The settings with every automatic choice filled in: what a refit must reuse.

        Automatic quantiles stay automatic: with the window norm fixed they train the bounds of the levels
        a refit is asked for, and stay out of the output as in the original model.
        """
        from forecaster import auto

        norm = self.net.shape.window_norm
        return dataclasses.replace(self.config, lookback=self.lookback, horizon=self.horizon, season=self.season,
                                   window_norm=norm, loss=auto.loss(self.config.loss, norm), transform=self.transform,
                                   dropout=self.net.shape.dropout, segment=self.net.shape.segment,
                                   ensemble=self.net.shape.members,
                                   refit=self.config.refit if self.config.refit is not None else bool(self.result.refit_epochs),
                                   threads=None)  # a machine's setting, not the model's: a refit runs as the process does

    def training_end(self, series_id: str) -> object | None:
        """The last timestamp (or step) of a series used in fitting; None for an unseen series."""
        from forecaster.data.timeaxis import parse_time_label

        info = self.series.get(series_id)
        return None if info is None else parse_time_label(info["training_end"], self.schema.freq)

    def fitted_length(self, series: Series) -> int | None:
        """How many leading steps of `series` lie at or before its training end; None for an unseen series."""
        end = self.training_end(series.id)
        return None if end is None else int(series.time.searchsorted(end, side="right"))

    def to_manifest(self) -> dict[str, Any]:
        """The `config.json` of SPEC §4, less what saving adds (format version, weights checksum)."""
        import torch

        from forecaster import __version__

        return {
            "versions": {"forecaster": __version__, "torch": torch.__version__, "python": platform.python_version()},
            "config": self.config.to_dict(),
            "schema": self.schema.to_dict(),
            "network": dataclasses.asdict(self.net.shape),
            "lookback": self.lookback,
            "horizon": self.horizon,
            "season": self.season,
            "season_source": self.season_source,
            "quantiles": self.quantiles,
            "series": self.series,
            "history": [r.to_dict() for r in self.result.history],
            "best_epoch": self.result.best_epoch,
            "stopped": self.result.stopped,
            "refit_epochs": self.result.refit_epochs,
            "training_threads": self.result.threads,
            "validation": self.validation,
            "calibration": self.calibration,
            "error_ratio": self.error_ratio,
            "transform": self.transform,
            "theta_share": self.theta_share,
        }

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], tensors: dict[str, Any]) -> FittedState:
        """The state a validated `config.json` and its weights describe, on the CPU; older formats get their defaults here.

        Raises TypeError, KeyError, ValueError or RuntimeError where the config and the weights do not fit.
        """
        import torch

        from forecaster import calibration, features
        from forecaster.data import Schema
        from forecaster.model import NetworkShape, build_network

        config = Config.from_dict(manifest["config"])
        shape = NetworkShape(**manifest["network"])
        net = build_network(shape)
        net.load_state_dict(tensors, strict=True)
        schema = Schema.from_dict(manifest["schema"])
        features.check_channels(schema, shape.input_size, shape.known)
        state = cls(
            config=config, net=net.eval(), device=torch.device("cpu"), schema=schema,
            lookback=manifest["lookback"], horizon=manifest["horizon"], season=manifest["season"],
            season_source=manifest.get("season_source"),  # saved before it was recorded: None
            # Saved before automatic quantiles: the config's list; before transforms: values modelled as given.
            quantiles=manifest.get("quantiles", config.quantiles or []), transform=manifest.get("transform", "none"),
            series=manifest["series"], result=TrainingResult(stopped=manifest.get("stopped", "unknown"),
                                                                 refit_epochs=manifest.get("refit_epochs", []),
                                                                 threads=manifest.get("training_threads")),
            validation=manifest.get("validation", {}),
            calibration=manifest.get("calibration", {}),  # saved before calibration: no intervals
            error_ratio=manifest.get("error_ratio"),  # saved before error scales: margins in scaler scales
            theta_share=manifest.get("theta_share", 0.0),  # saved before blending: the network alone
        )
        calibration.check_methods(state.calibration, state.quantiles)
        return state
