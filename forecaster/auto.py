"""What each `auto` setting resolves to when fitting, and the measurements behind each choice.

One decision leads: the window normalization. Where seasonal naive clearly beats naive on the
training parts (M4 Hourly, the demo's energy load), the network forecasts changes from the last
season, reading each step's change from a season before, and the other automatic settings follow
that seasonal base: MAE loss, the calendar, the log of positive series and trained interval bounds.
Elsewhere (ETTh1's oil temperature) they stay off. Each was kept because it helped where it was
measured; the figures are in benchmarks/RESULTS.md, "Why the defaults are what they are".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecaster.baselines import seasonal_beats_naive
from forecaster.calibration import level_quantiles
from forecaster.data import Series, SeriesSet
from forecaster.errors import ConfigError

# Lookbacks shorter than this are read step by step: cheap anyway, and where the short-series benchmarks
# (M3, Tourism) were measured. Segments longer than LONGEST_SEGMENT blur what the cell sees; the season
# outside that range gives way to FIXED_SEGMENT (a day of hourly data, as measured on ETTh1 and M4 Hourly).
SEGMENTED_FROM = 64
SEGMENTED_SEASONS = 7  # seasons an automatic lookback spans when read in segments (step by step: 3)
LONGEST_SEGMENT = 48
FIXED_SEGMENT = 24


def lookback(horizon: int, season: int, train_lengths: list[int], segment: int = 1) -> int:
    """A lookback of two horizons or three seasons (seven when read in segments), whichever is longer, cut to fit.

    Cut so that the median training part still yields about as many windows as the lookback is
    long, and never below one season or one step. Series shorter than that are lengthened at their
    start (`padding`) rather than cutting every series' lookback to the shortest one's.
    """
    # Segments make a long window cheap, and a week of hourly data beat three days on M4 Hourly.
    wanted = max(2 * horizon, (3 if segment == 1 else SEGMENTED_SEASONS) * season)
    typical = int(np.median(train_lengths))
    room = (typical - horizon) // 2
    steps = max(1, min(wanted, max(room, min(season, typical - horizon))))
    # Up, not down, to whole segments: the network reads whole segments, and short series are lengthened anyway.
    return -(-steps // segment) * segment


def segment(asked: int | None, season: int, lookback: int, lookback_given: bool) -> int:
    """Steps per recurrent step: the season where it is a sensible length, else FIXED_SEGMENT; 1 on short lookbacks.

    `lookback` is the one given, or the automatic one of a step-wise network. A given lookback is never
    changed: when it is not whole segments of that length, the longest of its divisors from half that
    length up is taken, else the window is read step by step.
    """
    if asked is not None:
        return asked
    width = _segment_width(season)
    if _too_short(lookback, width):
        return 1
    if not lookback_given:
        return width
    return next((w for w in range(width, (width + 1) // 2 - 1, -1) if lookback % w == 0), 1)


def _segment_width(season: int) -> int:
    return season if 4 <= season <= LONGEST_SEGMENT else FIXED_SEGMENT


def _too_short(lookback: int, width: int) -> bool:
    """Whether a lookback is read step by step whatever divides it: under SEGMENTED_FROM steps or three segments."""
    return lookback < max(SEGMENTED_FROM, 3 * width)


def segment_reason(segment: int, season: int, lookback: int) -> str:
    """Why `segment` (chosen by `segment`) is what it is, in words."""
    width = _segment_width(season)
    if segment == 1:
        if _too_short(lookback, width):
            return f"lookback {lookback} is short: read step by step"
        return f"no segment length from {(width + 1) // 2} to {width} divides lookback {lookback}: read step by step"
    what = "the season" if segment == season else "a fixed length" if segment == FIXED_SEGMENT else "a divisor of the lookback"
    return f"{what}; lookback {lookback} read as {lookback // segment} segments"


ENSEMBLE_MEMBERS = 3  # networks an automatic ensemble fits: the fewest whose median is not a mean of two


def ensemble(asked: int | None, segment: int, training_windows: int, windows_per_epoch: int) -> int:
    """Networks to fit: as asked, or for None three where the network reads segments and one epoch holds every
    training window, else one.

    On so few windows a network's seed decides much of its forecast, and the median of three members cuts that
    (benchmarks/RESULTS.md, "Why the defaults"); segments make the three trainings short. More data than an epoch
    samples, or a step-wise network, keeps one.
    """
    if asked is not None:
        return asked
    return ENSEMBLE_MEMBERS if segment > 1 and training_windows <= windows_per_epoch else 1


def ensemble_reason(members: int, segment: int) -> str:
    """Why `members` (chosen by `ensemble`) is what it is, in words."""
    if members > 1:
        return "every training window fits in one epoch: the median of three seeds' networks"
    if segment == 1:
        return "read step by step: one network"
    return "more training windows than an epoch samples: one network"


def refit(asked: bool | None, norm: str, training_windows: int, windows_per_epoch: int) -> bool:
    """Whether to train again on the training and validation parts after early stopping: as asked, or for None
    where the network forecasts from the last value (window norm `last` or none) and one epoch holds every training
    window.

    Over the last value the most recent months helped more than they cost (benchmarks/RESULTS.md, "Refit on the
    validation part"); over a seasonal base they cost the demo's load in every seed. Where an epoch samples from
    more windows, training already ran long over many, and a refit would triple it for little (M4 Hourly).
    """
    if asked is not None:
        return asked
    return norm != "season" and training_windows <= windows_per_epoch


def refit_reason(refitted: bool, norm: str) -> str:
    """Why `refit` (chosen by `refit`) is what it is, in words."""
    if refitted:
        return "every training window fits in one epoch: trained again with the validation part's"
    if norm == "season":
        return "over a seasonal base: the early-stopped networks"
    return "more training windows than an epoch samples: the early-stopped networks"


def window_norm(asked: str, parts: list[np.ndarray], horizon: int, season: int, lookback: int) -> str:
    """The window normalization to train with: the one asked for, or for `auto` the better of the two baselines.

    `auto` forecasts changes from the last season where seasonal naive's H-step error on the training
    parts is clearly under naive's (`baselines.CLEARLY_BETTER`), else from the last value.
    """
    fits = 1 < season <= lookback
    if asked == "season" and not fits:
        raise ConfigError(f"`window_norm` season needs a seasonal period above 1 and within the lookback; the season is "
                          f"{season} and the lookback {lookback}: raise `lookback`, set `season`, or use last")
    if asked != "auto":
        return asked
    return "season" if fits and seasonal_beats_naive(parts, horizon, season) else "last"


def dropout(asked: float | None, train_lengths: list[int], horizon: int) -> float:
    """The dropout rate: the one asked for, or for None 0.1, and 0.3 where the training parts hold under 64 horizons.

    Windows overlap, so the independent evidence training holds is about its number of whole
    horizons. Where that is small, a long head overfits within a few epochs (benchmarks/RESULTS.md, "Why the defaults").
    """
    if asked is not None:
        return asked
    horizons = sum(n // horizon for n in train_lengths)
    return 0.3 if horizons < 64 else 0.1


def loss(asked: str, norm: str) -> str:
    """The point loss to train with: the one asked for, or for `auto` MAE over a seasonal-naive base, else MSE.

    Errors around seasonal naive are heavy-tailed (a day unlike the day before), which squared error
    chases (benchmarks/RESULTS.md, "Why the defaults").
    """
    if asked != "auto":
        return asked
    return "mae" if norm == "season" else "mse"


CALENDAR_SHARE = 0.1  # of the seasonal change's variance a calendar feature must explain to be read


def calendar(asked: bool | None, norm: str, candidates: list[str], explained: Callable[[str], float]) -> list[str]:
    """The calendar features to give the network: every candidate if asked, none if refused; for None, over a
    seasonal base, those whose phase explains at least CALENDAR_SHARE of the variance of the change from a season
    before on the training parts (`explained`), and none over the last value.

    The seasonal base already repeats the last season, so what a feature must add is what that leaves: the weekday
    of a load that drops at weekends, not the hour of an hourly daily cycle nor a weekday nothing follows. Features
    that add nothing cost accuracy (benchmarks/RESULTS.md, "Why the defaults").
    """
    if asked is not None:
        return list(candidates) if asked else []
    if norm != "season":
        return []
    return [name for name in candidates if explained(name) >= CALENDAR_SHARE]


def calendar_reason(norm: str) -> str:
    """Why the calendar features `calendar` chose for None are those, in words."""
    if norm != "season":
        return "read over a seasonal base only"
    return f"those explaining {CALENDAR_SHARE:.0%} or more of the change from a season before"


def transform(asked: str, data: SeriesSet, norm: str) -> str:
    """The value transform: the one asked for, or for `auto` the log over a seasonal base of positive values.

    `auto` takes the log when every value of every series is above zero and the window norm is
    `season` (benchmarks/RESULTS.md, "Why the defaults"). Every value, not only the training part's: the log is taken of the validation and
    holdout parts too. Elsewhere the values are modelled as they are.
    """
    first = _first_non_positive(data)
    if asked == "log" and first is not None:
        series, i = first
        raise ConfigError(f"{data.source}: series {series.id!r} has {series.values[i]:g} at {series.time[i]}, but "
                          "`transform` log models the log of the values, which needs every value above zero; "
                          "use `transform` none, or auto (the log only where every value is above zero)")
    if asked != "auto":
        return asked
    return "log" if first is None and norm == "season" else "none"


def _first_non_positive(data: SeriesSet) -> tuple[Series, int] | None:
    """The first series with a value at or below zero (or NaN), and that value's index; None if there is none."""
    for series in data.series:
        bad = np.flatnonzero(~(series.values > 0))
        if len(bad):
            return series, int(bad[0])
    return None


def quantiles(asked: list[float] | None, levels: list[float], norm: str) -> list[float]:
    """The quantile outputs to train: those asked for, or for None (auto) the bounds of every level over a seasonal base.

    With a level's two bounds trained, its interval is CQR's, which widens where the network expects
    trouble (benchmarks/RESULTS.md, "Why the defaults").
    """
    if asked is not None:
        return asked
    if norm != "season":
        return []
    return sorted({q for level in levels for q in level_quantiles(level)})
