"""The typed, validated settings that flow from the CLI into the saved model.

One flat dataclass, as in nanoGPT: each field is named like its CLI flag
(`hidden_size` <-> `--hidden-size`) and like its key in `config.json`. This is the one place that maps
a setting to its flag: the library's messages name settings in backquotes, and `with_flags` turns
them into flags for the CLI.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from forecaster.errors import ConfigError

CELLS = ("lstm", "gru", "rnn")
SCALERS = ("standard", "minmax", "robust", "none")
LOSSES = ("auto", "mse", "mae", "huber")
SCHEDULES = ("plateau", "cosine", "none")
FILLS = ("interpolate", "ffill", "zero", "error")
DEVICES = ("auto", "cpu", "cuda", "mps")
WINDOW_NORMS = ("auto", "last", "season", "none")
PRECISIONS = ("auto", "fp32", "bf16")
DECODERS = ("direct", "parallel")
TRANSFORMS = ("auto", "log", "none")
# Fewer validation windows than this rank epochs by noise (a rising trend kept its first, flat epoch): training
# then runs every epoch and keeps the last. Here, free of torch, because `info` reports it too.
MIN_RANKING_WINDOWS = 8
MAX_INT = 2**63 - 1  # torch keeps sizes and seeds in 64-bit integers; a larger one overflows deep inside it


@dataclass
class Config:
    """Every setting of a forecaster; `None` means "choose from the data"."""

    # --- data ---
    target: list[str] | None = None  # value columns (wide) or the value column (long); None: all numeric / `y`
    time_col: str | None = None  # None: found by name or type; no time column means integer steps
    id_col: str | None = None  # long format's series id column; None: `unique_id` if present
    freq: str | None = None  # pandas offset alias; None: inferred from the timestamps
    fill: str = "interpolate"  # how missing values are filled: interpolate | ffill | zero | error
    season: int | None = None  # seasonal period; None: from the frequency (hourly 24, daily 7, ...)
    covariates: list[str] = field(default_factory=list)  # past covariate columns: known up to the forecast origin
    future_covariates: list[str] = field(default_factory=list)  # covariate columns known ahead (given at predict)
    calendar: bool | None = None  # hour/weekday/month (sin, cos) where training shows them repeat; None: where seasonal
    sep: str | None = None  # CSV field separator; None: sniffed among , ; tab |
    decimal: str | None = None  # CSV decimal mark; None: "," where the file's numbers are unambiguously written so, else "."
    thousands: str | None = None  # CSV thousands separator; None: none, unless the numbers unambiguously have one (1.234,5)
    date_format: str | None = None  # strftime format of the time column (pandas'); None: inferred (day-first where only it fits)
    # --- network ---
    cell: str = "lstm"  # recurrent cell: lstm | gru | rnn
    hidden_size: int = 64  # width of each recurrent layer
    num_layers: int = 2  # stacked recurrent layers
    dropout: float | None = None  # between recurrent layers and before the head; None: 0.1, or 0.3 on little data
    lookback: int | None = None  # input window length L; None: from horizon and season (a whole number of segments)
    segment: int | None = None  # steps the recurrent cell reads at once, embedded (SegRNN); 1: step by step; None: by rule
    decoder: str = "direct"  # direct: one linear head for all H steps | parallel: one cell step per output segment (SegRNN)
    horizon: int | None = None  # steps forecast at once H; None: the season, else 10
    quantiles: list[float] | None = None  # extra quantile outputs (pinball loss); None: `levels`' bounds over a seasonal base
    levels: list[float] = field(default_factory=lambda: [80.0, 95.0])  # central intervals (%) calibrated on validation
    window_norm: str = "auto"  # last | season: model changes from the last value | last season; none; auto: by data
    transform: str = "auto"  # log | none: model the log of positive series; auto: log over a seasonal base
    ensemble: int | None = None  # networks fitted with seeds seed, seed + 1, ...; their median; None: by rule (1 or 3)
    theta_share: float | None = None  # share of the Theta method's point forecast blended in (0-1); None: chosen on validation
    # --- training ---
    epochs: int = 50  # maximum (1,000,000 windows at the default 20,000 per epoch); early stopping often ends sooner
    patience: int = 10  # epochs without validation improvement before stopping; 0: never stop early
    refit: bool | None = None  # then train again on training + validation parts for the chosen epochs; None: by rule
    batch_size: int = 64
    windows_per_epoch: int = 20_000  # an epoch samples at most this many training windows (many long series)
    lr: float = 1e-3  # AdamW learning rate
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    lr_schedule: str = "plateau"  # plateau | cosine | none
    grad_clip: float = 1.0  # max global gradient norm; 0 turns clipping off
    loss: str = "auto"  # point loss: mse | mae | huber; auto: mae over a seasonal-naive base (window norm season), else mse
    scaler: str = "standard"  # per-series scaler fitted on the training part: standard | minmax | robust | none
    holdout: int = 0  # last steps of each series kept out of fitting (for an honest backtest)
    val_size: int | None = None  # validation steps before the holdout; None: about 20 % of the rest
    seed: int = 0  # same seed, same data, same CPU: the same model, bit for bit
    device: str = "auto"  # auto | cpu | cuda | mps
    precision: str = "auto"  # auto | fp32 | bf16 (mixed precision); auto: bf16 only on GPUs that support it
    threads: int | None = None  # CPU threads torch uses while fitting; None: as the process has them (the CLI: auto)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the flag for any out-of-range or unknown setting."""
        _check_choice("cell", self.cell, CELLS)
        _check_choice("scaler", self.scaler, SCALERS)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("lr_schedule", self.lr_schedule, SCHEDULES)
        _check_choice("fill", self.fill, FILLS)
        _check_choice("device", self.device, DEVICES)
        _check_choice("window_norm", self.window_norm, WINDOW_NORMS)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("decoder", self.decoder, DECODERS)
        _check_choice("transform", self.transform, TRANSFORMS)
        for name in ("hidden_size", "num_layers", "epochs", "batch_size", "windows_per_epoch"):
            _check_positive_int(name, getattr(self, name))
        for name in ("lookback", "segment", "ensemble", "horizon", "season", "val_size", "threads"):
            if getattr(self, name) is not None:
                _check_positive_int(name, getattr(self, name))
        if self.lookback is not None and self.segment is not None and self.lookback % self.segment:
            raise ConfigError(f"`lookback` {self.lookback} is not a multiple of `segment` {self.segment}: the window is "
                              f"read in whole segments; use a `lookback` such as {-(-self.lookback // self.segment) * self.segment}, "
                              "or leave it automatic (rounded up to whole segments)")
        _check_non_negative_int("patience", self.patience)
        if self.refit is not None and not isinstance(self.refit, bool):
            raise ConfigError(f"`refit` must be true, false or null (automatic), got {self.refit!r}")
        _check_non_negative_int("holdout", self.holdout)
        _check_non_negative_int("seed", self.seed)
        if self.theta_share is not None and not 0.0 <= self.theta_share <= 1.0:
            raise ConfigError(f"`theta_share` must be in [0, 1] (the share of Theta's forecast), got {self.theta_share}")
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"`dropout` must be in [0, 1), got {self.dropout}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"`lr` must be a positive, finite number, got {self.lr}")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise ConfigError(f"`weight_decay` must be zero or a positive, finite number, got {self.weight_decay}")
        if not self.grad_clip >= 0:
            raise ConfigError(f"`grad_clip` must be zero (off) or positive, got {self.grad_clip}")
        _check_covariates(self)
        _check_reading(self)
        if self.quantiles is not None:
            self.quantiles = _checked_quantiles(self.quantiles)
        self.levels = checked_levels(self.levels)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Rebuild from `to_dict` output; unknown keys are refused, missing ones take defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**values)


# What the CLI's commands take besides the settings: their arguments, named in messages as settings are.
ARGUMENTS = ("data", "out", "force", "output", "plot", "start", "stride", "folds", "retrain")
_NAMED = re.compile(r"`([a-z][a-z_]*)`")


def flag(name: str) -> str:
    """The CLI flag of a setting or argument: `val_size` -> `--val-size`."""
    return "--" + name.replace("_", "-")


def with_flags(message: str) -> str:
    """A library message as the CLI says it: each setting named in backquotes (`val_size`) becomes its flag."""
    names = {f.name for f in dataclasses.fields(Config)}.union(ARGUMENTS)
    return _NAMED.sub(lambda m: flag(m[1]) if m[1] in names else m[0], message)


def _flag(name: str) -> str:
    """How a library message names a setting (see `with_flags`)."""
    return f"`{name}`"


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{_flag(name)} must be one of {', '.join(choices)}, got {value!r}")


def _check_positive_int(name: str, value: object) -> None:
    _check_int(name, value, 1, "a positive integer")


def _check_non_negative_int(name: str, value: object) -> None:
    _check_int(name, value, 0, "zero or a positive integer")


def _check_int(name: str, value: object, low: int, expected: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{_flag(name)} must be {expected}, got {value!r}")
    if value > MAX_INT:
        raise ConfigError(f"{_flag(name)} must be at most {MAX_INT}, got {value}")


def _check_covariates(config: Config) -> None:
    """Covariate lists are column names, each used once, none of them a target, the time or the id column."""
    for flag, names in (("`covariates`", config.covariates), ("`future_covariates`", config.future_covariates)):
        if isinstance(names, (str, bytes)) or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{flag} must be a list of column names, got {names!r}")
    named = [*config.covariates, *config.future_covariates]
    repeated = sorted({n for n in named if named.count(n) > 1})
    if repeated:
        raise ConfigError(f"covariate column(s) {', '.join(map(repr, repeated))} named more than once in "
                          "`covariates` / `future_covariates`")
    for role, columns in (("`target`", config.target or []), ("`time_col`", [config.time_col]),
                          ("`id_col`", [config.id_col])):
        clash = [n for n in named if n in columns]
        if clash:
            raise ConfigError(f"column {clash[0]!r} is both a covariate and the {role} column; a column plays one part")
    if config.calendar is not None and not isinstance(config.calendar, bool):
        raise ConfigError(f"calendar must be true, false or null (automatic), got {config.calendar!r}")


def _check_reading(config: Config) -> None:
    """The CSV options handed to pandas: one-character marks that differ, and a format with a % directive."""
    for name in ("sep", "decimal", "thousands"):
        value = getattr(config, name)
        if value is not None and not _is_mark(value):
            raise ConfigError(f"{_flag(name)} must be one character such as ; or , (tab: \\t), got {value!r}")
    if config.sep is not None and config.sep == config.decimal:
        raise ConfigError(f"`sep` and `decimal` must differ, got {config.sep!r} for both")
    if config.thousands is not None and config.thousands == config.decimal:
        raise ConfigError(f"`thousands` and `decimal` must differ, got {config.thousands!r} for both")
    if config.date_format is not None and (not isinstance(config.date_format, str) or "%" not in config.date_format):
        raise ConfigError(f"`date_format` must be a strftime format such as %d/%m/%Y, got {config.date_format!r}")


def _is_mark(value: object) -> bool:
    """One printable character (or a tab) that pandas can take for a separator or decimal mark."""
    return (isinstance(value, str) and len(value) == 1 and not value.isalnum() and value not in "\"\n\r"
            and (value.isprintable() or value == "\t"))


def parse_sep(text: str | None) -> str | None:
    """The `sep` flag's text: a character; `\\t` or `tab` spells a tab, which a shell argument cannot hold easily."""
    return "\t" if text in ("\\t", "tab") else text


def parse_thousands(text: str | None) -> str | None:
    """The `thousands` flag's text: a character; `space` spells a space, which a shell argument hides easily."""
    return " " if text == "space" else text


def _checked_quantiles(quantiles: list[float]) -> list[float]:
    """Sorted, distinct quantile levels, each strictly inside (0, 1)."""
    values = [float(q) for q in quantiles]
    for q in values:
        if not 0.0 < q < 1.0:
            raise ConfigError(f"`quantiles` must lie strictly between 0 and 1, got {q}")
    if len(set(values)) != len(values):
        raise ConfigError(f"`quantiles` has a repeated level: {values}")
    return sorted(values)


def parse_quantiles(text: str | None) -> list[float] | None:
    """Parse the `quantiles` flag's `0.1,0.5,0.9` (`auto`: None, `none`: []); the levels are validated by Config."""
    if text is None or text.strip().lower() == "auto":
        return None
    if not text.strip() or text.strip().lower() == "none":
        return []
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"`quantiles` must be numbers separated by commas, got {text!r}") from None


def checked_levels(levels: list[float], flag: str = "`levels`") -> list[float]:
    """Sorted, distinct interval levels in percent, each strictly inside (0, 100)."""
    if isinstance(levels, (str, bytes)) or not isinstance(levels, (list, tuple)):
        raise ConfigError(f"{flag} must be a list of percentages such as 80,95, got {levels!r}")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 100.0:
            raise ConfigError(f"{flag} must lie strictly between 0 and 100 (a percentage such as 80), got {level!r}")
    values = [float(level) for level in levels]
    if len(set(values)) != len(values):
        raise ConfigError(f"{flag} has a repeated level: {values}")
    return sorted(values)


def parse_levels(text: str | None, flag: str = "`levels`") -> list[float] | None:
    """Parse the `levels` flag's `80,95` (percentages); `none` means no intervals, no text means the default."""
    if text is None:
        return None
    if text.strip().lower() in ("none", ""):
        return []
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{flag} must be percentages separated by commas, such as 80,95, got {text!r}") from None
    return checked_levels(values, flag)


def parse_threads(text: str) -> int | None:
    """Parse the `threads` flag's `N` (`auto`: None, the automatic count); the number is validated by Config."""
    return _count_or_auto("threads", text)


def parse_segment(text: str) -> int | None:
    """Parse the `segment` flag's `W` (`auto`: None, chosen by rule when fitting); the number is validated by Config."""
    return _count_or_auto("segment", text)


def parse_ensemble(text: str) -> int | None:
    """Parse the `ensemble` flag's `N` (`auto`: None, chosen by rule when fitting); the number is validated by Config."""
    return _count_or_auto("ensemble", text)


def _count_or_auto(name: str, text: str) -> int | None:
    if text.strip().lower() == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"`{name}` must be a positive integer or auto, got {text!r}") from None


def parse_columns(values: list[str] | None) -> list[str] | None:
    """Split repeated or comma-separated column flags (`a,b` and `c` of the target given twice)."""
    if not values:
        return None
    columns = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return columns or None
