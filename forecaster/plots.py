"""PNG plots for people (matplotlib, headless): a forecast with its history, and a backtest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecaster.data import SeriesSet
from forecaster.outputs import write_atomically

HISTORY_SHOWN = 5  # horizons of history drawn before a forecast
MAX_PANELS = 4


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    return plt


def plot_forecast(data: SeriesSet, forecast: pd.DataFrame, path: Path, force: bool) -> None:
    """History and forecast of up to MAX_PANELS series, with a shaded band per central interval."""
    plt = _pyplot()
    ids = list(dict.fromkeys(forecast["series"]))[:MAX_PANELS]
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 3 * len(ids)), squeeze=False)
    for ax, series_id in zip(axes[:, 0], ids):
        series = next(s for s in data.series if s.id == series_id)
        rows = forecast[forecast["series"] == series_id]
        shown = min(len(series), HISTORY_SHOWN * len(rows))
        ax.plot(series.time[-shown:], series.values[-shown:], color="black", lw=1, label="history")
        ax.plot(rows["timestamp"], rows["forecast"], color="tab:blue", lw=1.5, label="forecast")
        _draw_bands(ax, rows["timestamp"], rows)
        ax.set_title(_plain(series_id))
        ax.legend(loc="upper left", fontsize="small")
    _save(fig, path, force)


def plot_backtest(result, path: Path, force: bool, windows_shown: int = 3) -> None:
    """Error by horizon step for the model and baselines, and the last few windows of the first series."""
    plt = _pyplot()
    fig, (steps_ax, window_ax) = plt.subplots(2, 1, figsize=(10, 7))
    for name, style in (("model", "-o"), ("naive", "--"), ("seasonal_naive", ":")):
        mae = result.per_step[name]["MAE"]
        steps_ax.plot(mae.index, mae.to_numpy(), style, ms=3, label=name.replace("_", " "))
    steps_ax.set(title="MAE by horizon step", xlabel="step", ylabel="MAE")
    steps_ax.legend(fontsize="small")
    table = result.forecasts
    first = table[table["series"] == table["series"].iloc[0]]
    origins = first["origin"].unique()[-windows_shown:]
    for i, origin in enumerate(origins):
        rows = first[first["origin"] == origin]
        window_ax.plot(rows["timestamp"], rows["actual"], color="black", lw=1, label="actual" if i == 0 else None)
        window_ax.plot(rows["timestamp"], rows["forecast"], color="tab:blue", lw=1.5, label="forecast" if i == 0 else None)
        _draw_bands(ax=window_ax, time=rows["timestamp"], rows=rows, labelled=i == 0)
        window_ax.plot(rows["timestamp"], rows["seasonal_naive"], color="tab:gray", lw=1, ls=":",
                       label="seasonal naive" if i == 0 else None)
    window_ax.set_title(f"last {len(origins)} windows of {_plain(table['series'].iloc[0])}")
    window_ax.legend(fontsize="small")
    _save(fig, path, force)


def bands(columns) -> dict[float, tuple[str, str]]:
    """The central intervals among a frame's quantile columns: {80.0: ("q0.1", "q0.9"), …}, widest first."""
    from forecaster.metrics import central_intervals

    levels = {float(c[1:]): c for c in map(str, columns) if c.startswith("q") and _is_number(c[1:])}
    pairs = central_intervals(list(levels))
    return {level: (levels[low], levels[high]) for level, (low, high) in sorted(pairs.items(), reverse=True)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _draw_bands(ax, time, rows: pd.DataFrame, labelled: bool = True) -> None:
    # Widest first, each narrower level drawn darker over it, so that the legend tells them apart.
    for i, (level, (low, high)) in enumerate(bands(rows.columns).items()):
        ax.fill_between(time, rows[low], rows[high], color="tab:blue", alpha=0.12 + 0.1 * i, lw=0,
                        label=f"{level:g} % interval" if labelled else None)


def _plain(text: object) -> str:
    # Matplotlib reads text between two "$" as math and fails on what it cannot parse ("price $", "$a_$").
    return str(text).replace("$", r"\$")


def _save(fig, path: Path, force: bool) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    write_atomically(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"), force=force)
    plt.close(fig)
