"""Conformal calibration: central prediction intervals that cover what their level promises.

For each level and horizon step, conformity scores are taken on the validation
windows, which training never fitted; their finite-sample conformal quantile is
the step's margin. Scores are divided by each series' scale, so that one
calibration serves a global model over series of any size: the interval of a
window widens by margin x its series' scale. Which scale depends on the method
(the estimator passes both, see `Units`):

- split conformal, around the point forecast: score |y - f| / scale,
  interval [f - m·scale, f + m·scale]. The scale is the series' error scale (the
  model's mean absolute in-sample error on it), so calm series get narrow
  intervals and wild ones wide.
- conformalized quantile regression (CQR), when the network was trained on the
  level's two quantiles: each bound has its own margin, from the scores lo - y
  (lower) and y - hi (upper), each at the level's one-sided confidence (97.5 % for
  a 95 % interval), so an interval can move up or down as well as widen
  (Romano et al.'s asymmetric CQR); interval [lo - m_lo·scale, hi + m_hi·scale],
  where a negative margin narrows. The trained bounds already follow each series'
  difficulty, so the scale is the scaler's, which only puts series on one footing
  (measured against one margin in error scales in benchmarks/RESULTS.md, "Why the defaults").

A calibration is plain JSON: {"80": {"method": "split", "margins": [H numbers], "windows": n},
"95": {"method": "cqr", "lower": [H numbers], "upper": [H numbers], "windows": n}}. (Models saved
before one-sided margins have a symmetric "margins" for CQR too, in scaler scales.)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from forecaster.config import checked_levels
from forecaster.errors import ConfigError
from forecaster.manifest import margin_keys

METHODS = ("split", "cqr")


class Units(NamedTuple):
    """Per-window scales (W,) that margins are measured in: `error` for split conformal, `scaler` for CQR."""

    error: np.ndarray
    scaler: np.ndarray

    def of(self, method: str) -> np.ndarray:
        return self.scaler if method == "cqr" else self.error


def level_name(level: float) -> str:
    """The key of a level (in %) in a calibration and in metric names: 80.0 -> "80", 97.5 -> "97.5"."""
    return f"{level:g}"


def level_quantiles(level: float) -> tuple[float, float]:
    """The two quantiles that bound a central interval: 80 -> (0.1, 0.9), 95 -> (0.025, 0.975)."""
    low = round((1.0 - level / 100.0) / 2.0, 10)  # rounded so that 0.1 is 0.1, not 0.09999999999999998
    return low, round(1.0 - low, 10)


def conformal_quantile(scores: np.ndarray, level: float) -> np.ndarray:
    """Per column of (n, H) scores: the ceil((n + 1) · level/100)-th smallest, or the largest when n is too small.

    With n exchangeable scores, an interval this wide covers a new one with probability at least
    level/100. The guarantee needs n >= level / (100 - level) (4 windows at 80 %, 19 at 95 %); below
    that the exact answer is an infinite interval, which no one can plan with, so the largest score
    stands in and `shortfalls` says so.
    """
    rank = _rank(len(scores), level)
    return np.partition(scores, rank - 1, axis=0)[rank - 1]  # the rank-th smallest, without a full sort


def _rank(n: int, level: float) -> int:
    """The 1-based rank of the conformal quantile among n sorted scores (see `conformal_quantile`)."""
    return min(n, math.ceil((n + 1) * level / 100.0 - 1e-9))  # the tolerance keeps 8.000000000000002 at 8


def method_for(quantiles: list[float], level: float) -> str:
    """CQR when the network has the level's two quantiles, else split conformal around the point forecast."""
    low, high = level_quantiles(level)
    trained = {round(q, 10) for q in quantiles}
    return "cqr" if low in trained and high in trained else "split"


def calibrate(forecasts: np.ndarray, actual: np.ndarray, units: Units, quantiles: list[float],
              levels: list[float]) -> dict[str, dict]:
    """The calibration of every level from validation windows.

    forecasts: (W, H, 1 + Q) network outputs; actual: (W, H); units: each window's scales;
    quantiles: the Q trained levels.
    """
    calibration = {}
    for level in levels:
        method = method_for(quantiles, level)
        entry = {"method": method}
        sides = ("lower", "upper") if method == "cqr" else ("margins",)
        for side, scores in _scores(forecasts, actual, units.of(method), quantiles, level, method, sides).items():
            entry[side] = conformal_quantile(scores, _side_level(level, side)).tolist()
        calibration[level_name(level)] = {**entry, "windows": len(actual)}
    return calibration


def _side_level(level: float, side: str) -> float:
    """The confidence a margin is taken at: the level for a two-sided one, each tail's half for one bound."""
    return level if side == "margins" else 100.0 - (100.0 - level) / 2.0


def quantile_columns(forecasts: np.ndarray, units: Units, quantiles: list[float],
                     calibration: dict[str, dict], shown: list[float] | None = None) -> dict[float, np.ndarray]:
    """Every quantile of the output by its level: the trained ones `shown` (default all), and each calibrated interval's bounds.

    A calibrated bound replaces a trained quantile of the same level. The columns are then
    sorted across levels, so that no two ever cross (a calibrated 95 % bound may otherwise
    fall inside a trained 0.05 quantile); returns {level: (W, H)} in increasing level.
    """
    shown = set(quantiles if shown is None else shown)
    columns = {round(q, 10): forecasts[..., j] for j, q in enumerate(quantiles, start=1) if q in shown}
    for name, entry in calibration.items():
        lower, upper = interval(forecasts, units, quantiles, float(name), entry)
        low, high = level_quantiles(float(name))
        columns[low], columns[high] = lower, upper
    if not columns:
        return {}
    levels = sorted(columns)
    ordered = np.sort(np.stack([columns[q] for q in levels], axis=-1), axis=-1)  # (W, H, K)
    return {q: ordered[..., k] for k, q in enumerate(levels)}


def interval(forecasts: np.ndarray, units: Units, quantiles: list[float], level: float,
             entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """The calibrated (W, H) lower and upper bounds of one level; margins are (H,) or, rolling, (W, H)."""
    lower, upper = _base_interval(forecasts, quantiles, level, entry["method"])
    scales = units.of(entry["method"])[:, None]
    below, above = (_per_window(entry[side], forecasts.shape[1]) * scales for side in _bounds(entry))
    return lower - below, upper + above


def _bounds(entry: dict) -> tuple[str, str]:
    """The keys of an entry's lower and upper margins: one symmetric list twice, or one per bound."""
    keys = margin_keys(entry)
    return keys[0], keys[-1]


def _per_window(margins, horizon: int) -> np.ndarray:
    """Stored (H,) or rolling (W, H) margins as an array that broadcasts over (W, H)."""
    margins = np.asarray(margins, dtype=np.float64)
    return margins[None, :horizon] if margins.ndim == 1 else margins[:, :horizon]


def rolling(calibration: dict[str, dict], forecasts: np.ndarray, actual: np.ndarray, units: Units,
            origins: list[np.ndarray], quantiles: list[float]) -> dict[str, dict]:
    """The calibration recomputed for every window of a backtest from the errors seen before its origin.

    For window w of a series and step h, the scores are those of the same series' earlier windows
    whose step h was already observed at w's origin (origin' + h <= origin); their conformal quantile
    is w's margin. Until MIN_SEEN such windows exist, the stored (validation) margin stands in. Only
    the past is used, so the score stays honest; the intervals follow the errors of the period scored
    instead of those of the validation months, which may have been calmer or wilder. The quantile is
    recomputed each time the errors seen have grown by REFRESH (see `refresh_counts`), not at every window.
    Windows come in series order, then origin order, as `origins` lists them (W windows in all).
    """
    recalibrated = {}
    # Which refresh a window may use at each step depends only on the origins: found once for every level and side.
    lookups = [_refreshes_seen(positions, actual.shape[1]) for positions in origins]
    for name, entry in calibration.items():
        method, level = entry["method"], float(name)
        # The entry's own shape rolls: a CQR model saved before one-sided margins keeps its symmetric one.
        sides = _scores(forecasts, actual, units.of(method), quantiles, level, method, margin_keys(entry))
        rolled = dict(entry)
        for side, scores in sides.items():
            margins = np.broadcast_to(_per_window(entry[side], actual.shape[1]), scores.shape).copy()
            first = 0
            for positions, (counts, refresh) in zip(origins, lookups):
                rows = slice(first, first + len(positions))
                _roll_series(scores[rows], counts, refresh, _side_level(level, side), margins[rows])
                first += len(positions)
            rolled[side] = margins
        recalibrated[name] = rolled
    return recalibrated


MIN_SEEN = 100  # earlier windows a rolling margin needs; fewer would make the 95 % margin the largest error seen
# A rolling margin is recomputed once the errors seen have grown by this share. Between two refreshes the new
# errors can shift the coverage of the standing margin by at most 3 % of those seen (all landing beyond it), and
# as a rule by far less than the quantile's own sampling error (about 1 % of coverage at 95 % with 400 errors).
# Recomputing at every window cost a backtest more than half its time (benchmarks/RESULTS.md, "Why the defaults").
REFRESH = 1 / 32


def refresh_counts(n: int) -> np.ndarray:
    """The counts of errors seen at which rolling margins are recomputed: MIN_SEEN, then each 1/32 more, up to n."""
    counts = [MIN_SEEN]
    while counts[-1] < n:
        counts.append(max(counts[-1] + 1, math.ceil(counts[-1] * (1 + REFRESH))))
    return np.array([c for c in counts if c <= n], dtype=np.int64)


def _refreshes_seen(positions: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """For one series' windows at sorted `positions`: its refresh counts (see `refresh_counts`), and (n, H) the
    latest refresh each window may use at each step, or -1 while fewer than MIN_SEEN earlier windows are seen."""
    counts = refresh_counts(len(positions))
    # Window w may use windows 0..seen-1 at step h+1: those whose step h+1 lies before its origin (origin' + h + 1 <= origin).
    seen = np.searchsorted(positions, positions[:, None] - np.arange(horizon)[None, :], side="left")
    refresh = np.searchsorted(counts, seen, side="right") - 1
    return counts, np.where(seen >= MIN_SEEN, refresh, -1)


def _roll_series(scores: np.ndarray, counts: np.ndarray, refresh: np.ndarray, level: float,
                 margins: np.ndarray) -> None:
    """Fill `margins` (n, H) in place for one series' windows from `scores` (n, H), at the refreshes `_refreshes_seen` found."""
    if not len(counts):
        return
    # The conformal quantile of the first c windows' scores, every step at once: (len(counts), H). Each step's
    # scores lie contiguous in `steps` (H, n) and are partitioned in place: a partition permutes only the first c,
    # so the next count finds its new scores where they were, and no prefix is ever copied.
    steps, table = scores.T.copy(), np.empty((len(counts), scores.shape[1]))
    for j, c in enumerate(counts):
        rank = _rank(c, level)
        steps[:, :c].partition(rank - 1, axis=1)
        table[j] = steps[:, rank - 1]
    ready = refresh >= 0
    margins[ready] = table[refresh[ready], np.nonzero(ready)[1]]


def _scores(forecasts: np.ndarray, actual: np.ndarray, scales: np.ndarray, quantiles: list[float], level: float,
            method: str, sides: tuple[str, ...]) -> dict[str, np.ndarray]:
    """(W, H) conformity scores of each margin in `sides`: how far each actual fell outside the base interval,
    in its series' scale. "lower": lo - y, "upper": y - hi, "margins" (symmetric): the larger of the two.
    """
    lower, upper = _base_interval(forecasts, quantiles, level, method)
    below, above = (lower - actual) / scales[:, None], (actual - upper) / scales[:, None]
    if sides == ("margins",):
        return {"margins": np.maximum(below, above)}
    return {"lower": below, "upper": above}


def _base_interval(forecasts: np.ndarray, quantiles: list[float], level: float,
                   method: str) -> tuple[np.ndarray, np.ndarray]:
    """What the margin widens: the trained quantile pair (CQR) or the point forecast twice (split)."""
    if method == "cqr":
        position = {round(q, 10): j for j, q in enumerate(quantiles, start=1)}
        low, high = level_quantiles(level)
        return forecasts[..., position[low]], forecasts[..., position[high]]
    point = forecasts[..., 0]
    return point, point


def select(calibration: dict[str, dict], levels: list[float]) -> dict[str, dict]:
    """The entries of the asked levels; a level that was not calibrated is refused with the fix."""
    names = [level_name(level) for level in checked_levels(levels)]
    missing = [name for name in names if name not in calibration]
    if missing:
        # The validation data is gone after training, so a new level cannot be calibrated honestly here.
        raise ConfigError(
            f"`levels` {','.join(missing)}: this model was calibrated for levels {', '.join(calibration) or 'none'} "
            f"only; pick among them, or retrain with `levels` {','.join(names)}"
        )
    return {name: calibration[name] for name in names}


def check_methods(calibration: dict[str, dict], quantiles: list[float]) -> None:
    """Raise ValueError when a stored CQR level lacks its trained quantiles (a config edited by hand)."""
    for name, entry in calibration.items():
        if entry["method"] == "cqr" and method_for(quantiles, float(name)) != "cqr":
            raise ValueError(f"calibration level {name!r} uses cqr, which needs the trained quantiles "
                             f"{level_quantiles(float(name))}, but the model has {quantiles}")


def shortfalls(calibration: dict[str, dict]) -> list[str]:
    """A sentence for each level calibrated on too few windows for its guarantee."""
    notes = []
    for name, entry in calibration.items():
        windows = entry["windows"]
        level = _side_level(float(name), _bounds(entry)[0])
        needed = math.ceil(level / (100.0 - level) - 1e-9)
        if windows < needed:
            notes.append(
                f"the {name} % interval was calibrated on {windows} validation windows, fewer than the {needed} its "
                f"guarantee needs, so it may cover less than {name} %; give a longer `val_size` or more data"
            )
    return notes
