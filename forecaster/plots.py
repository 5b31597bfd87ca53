"""PNG plots for people (matplotlib, headless): a forecast with its history, and a backtest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecaster.data import SeriesSet
from forecaster.persistence import write_atomically

HISTORY_SHOWN = 5  # horizons of history drawn before a forecast
MAX_PANELS = 4


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    return plt


def plot_forecast(data: SeriesSet, forecast: pd.DataFrame, quantiles: list[float], path: Path, force: bool) -> None:
    """History and forecast of up to MAX_PANELS series, with the widest quantile band shaded."""
    plt = _pyplot()
    ids = list(dict.fromkeys(forecast["series"]))[:MAX_PANELS]
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 3 * len(ids)), squeeze=False)
    for ax, series_id in zip(axes[:, 0], ids):
        series = next(s for s in data.series if s.id == series_id)
        rows = forecast[forecast["series"] == series_id]
        shown = min(len(series), HISTORY_SHOWN * len(rows))
        ax.plot(series.time[-shown:], series.values[-shown:], color="black", lw=1, label="history")
        ax.plot(rows["timestamp"], rows["forecast"], color="tab:blue", lw=1.5, label="forecast")
        if len(quantiles) >= 2:
            low, high = f"q{quantiles[0]:g}", f"q{quantiles[-1]:g}"
            ax.fill_between(rows["timestamp"], rows[low], rows[high], color="tab:blue", alpha=0.2,
                            label=f"{low}–{high}")
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
        window_ax.plot(rows["timestamp"], rows["seasonal_naive"], color="tab:gray", lw=1, ls=":",
                       label="seasonal naive" if i == 0 else None)
    window_ax.set_title(f"last {len(origins)} windows of {_plain(table['series'].iloc[0])}")
    window_ax.legend(fontsize="small")
    _save(fig, path, force)


def _plain(text: object) -> str:
    # Matplotlib reads text between two "$" as math and fails on what it cannot parse ("price $", "$a_$").
    return str(text).replace("$", r"\$")


def _save(fig, path: Path, force: bool) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    write_atomically(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"), force=force)
    plt.close(fig)
