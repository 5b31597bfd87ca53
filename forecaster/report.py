"""Tables and progress bars for people (rich). Plots live in `plots.py`.

Nothing here computes a result: it only lays out what the library returned.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from forecaster.config import flag
from forecaster.text import visible

POINT_METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")
BASELINE_NAMES = {"model": "model", "naive": "naive", "seasonal_naive": "seasonal naive"}


def theta_share(share: float, asked: float | None, windows: int | None) -> str:
    """The share of Theta's forecast in the model's, and who chose it (`windows`: validation windows, if recorded)."""
    from forecaster.config import MIN_RANKING_WINDOWS

    if asked is not None:
        return f"{share:g} (given)"
    if windows is not None and windows < MIN_RANKING_WINDOWS:
        return f"{share:g} (too few validation windows to choose)"
    return f"{share:g} (best on validation)"


def season_source(source: str | None, freq: str) -> str:
    """How the season was chosen, in words (see `seasonality.chosen_season`); '-' for models that did not record it."""
    return {"frequency": f"from the frequency {freq}", "detected": "detected in the data by autocorrelation",
            "given": f"given with {flag('season')}", "none": "none found: not in the frequency, not in the data"}.get(source, "-")


def number(value: Any, digits: int = 4) -> str:
    """A compact, aligned rendering of a metric or loss."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "n/a"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"


class TrainingProgress:
    """A training callback that draws a rich progress bar with losses, learning rate and ETA: one per network fitted."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.fields[network]}epoch {task.fields[epoch]}"),
            BarColumn(bar_width=16),
            TextColumn("train {task.fields[train]} val {task.fields[val]} lr {task.fields[lr]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = None
        self.batches = 1
        self.refits: list[bool] = []  # of each bar so far: whether it draws a refit

    def on_train_start(self, epochs: int, batches_per_epoch: int) -> None:
        self._start(epochs, batches_per_epoch, refit=False)

    def on_refit_start(self, epochs: int, batches_per_epoch: int) -> None:
        self._start(epochs, batches_per_epoch, refit=True)

    def _start(self, epochs: int, batches_per_epoch: int, refit: bool) -> None:
        self.batches = batches_per_epoch
        self.progress.start()
        # The bar counts batches so that the ETA moves within long epochs; early stopping may end it sooner.
        self.task = self.progress.add_task("train", total=epochs * batches_per_epoch, epoch=f"1/{epochs}",
                                           train="-", val="-", lr="-", network="")
        self.refits.append(refit)
        members = self.refits.count(False)
        numbers = {False: 0, True: 0}
        for task, refits in zip(self.progress.task_ids, self.refits):  # an ensemble's bars say whose they are
            numbers[refits] += 1
            name = f"network {numbers[refits]} " if members > 1 else ""
            self.progress.update(task, network=name + ("refit " if refits else ""))
        self.epochs = epochs

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.progress.advance(self.task)

    def on_epoch_end(self, record, best: bool) -> None:
        # A refit trains on the validation windows: their loss says nothing there.
        val = "-" if self.refits[-1] else number(record.val_loss) + (" *" if best else "")
        self.progress.update(self.task, completed=record.epoch * self.batches,
                             epoch=f"{min(record.epoch + 1, self.epochs)}/{self.epochs}",
                             train=number(record.train_loss), val=val, lr=f"{record.lr:.1e}")

    def close(self) -> None:
        # Stopping a bar that never started still prints a blank line, above the error that prevented training.
        if self.task is not None:
            self.progress.stop()


class FoldProgress:
    """A backtest callback that draws the refits of a retraining backtest (`retrain`)."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("[bold]refit"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=console)
        self.task = None

    def on_fold(self, fold: int, folds: int) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("refit", total=folds)
        self.progress.update(self.task, completed=fold - 1)

    def close(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[0].total)
            self.progress.stop()


def _text(value: Any) -> Text:
    # Paths, series ids and settings are the user's text; as plain Text, a "[" in them is not rich markup,
    # and with its control characters made visible, an escape sequence in a file cannot drive the terminal.
    return Text(visible(str(value)))


def training_summary(summary: dict[str, Any]) -> Table:
    """The table that ends `forecaster train`."""
    table = Table(title="training summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in summary.items():
        table.add_row(key, _text(value))
    return table


def forecast_table(frame) -> Table:
    """A forecast frame (series, timestamp, forecast, quantiles) as a table."""
    table = Table(title="forecast", title_justify="left")
    for column in frame.columns:
        table.add_column(_text(column), justify="left" if column in ("series", "timestamp") else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(number(v) if isinstance(v, float) else _text(v) for v in row))
    return table


def metrics_table(result) -> Table:
    """Overall scores of the model and both baselines over all windows."""
    title = f"backtest: {result.windows} windows x {result.horizon} steps" + (" (refitted per origin)" if result.retrained else "")
    table = Table(title=title, title_justify="left")
    table.add_column("forecaster")
    for name in POINT_METRICS:
        table.add_column(name, justify="right")
    for key, label in BASELINE_NAMES.items():
        table.add_row(label, *(number(result.metrics[key][m]) for m in POINT_METRICS))
    return table


INTERVAL_METRICS = ("coverage", "width", "pinball", "MSIS", "ACD")
INTERVAL_METHODS = {"cqr": "CQR", "split": "split", "trained": "uncalibrated"}


def interval_table(result) -> Table | None:
    """Per central interval: coverage, mean width, pinball loss, MSIS and ACD of the model and seasonal naive; or None."""
    if not result.intervals and "pinball" not in result.metrics["model"]:
        return None
    table = Table(title="prediction intervals (MSIS scaled like MASE; ACD = |coverage - level|)", title_justify="left")
    table.add_column("level", justify="right")
    table.add_column("forecaster")
    for metric in INTERVAL_METRICS:
        table.add_column(metric, justify="right")
    for level, method in result.intervals.items():
        for key, label in (("model", f"model ({INTERVAL_METHODS.get(method, method)})"), ("seasonal_naive", "seasonal naive")):
            scores = result.metrics[key]
            table.add_row(_text(f"{level} %"), label, *(number(scores.get(f"{m}_{level}")) for m in INTERVAL_METRICS))
    if "pinball" in result.metrics["model"]:
        table.caption = f"model's pinball loss over all its quantiles: {number(result.metrics['model']['pinball'])}"
    return table


def per_step_table(result, metric: str = "MAE", rows: int = 12) -> Table:
    """One metric per horizon step for the model and the baselines; long horizons show `rows` spread steps."""
    steps = list(result.per_step["model"].index)
    if len(steps) > rows:
        # Always the first and last step; evaluate's JSON and CSV outputs keep every step.
        steps = sorted({steps[round(i * (len(steps) - 1) / (rows - 1))] for i in range(rows)})
    shown = "" if len(steps) == result.horizon else f" ({len(steps)} of {result.horizon} steps)"
    table = Table(title=f"{metric} by horizon step{shown}", title_justify="left")
    table.add_column("step", justify="right")
    for label in BASELINE_NAMES.values():
        table.add_column(label, justify="right")
    for step in steps:
        table.add_row(str(step), *(number(float(result.per_step[k].loc[step, metric])) for k in BASELINE_NAMES))
    return table


def info_tables(manifest: dict[str, Any], path: str) -> list[Table]:
    """What `forecaster info` shows: settings, data schema, history and validation scores."""
    overview = Table(title=_text(f"model {path}"), show_header=False, title_justify="left")
    overview.add_column(style="bold")
    overview.add_column()
    for key, value in _overview(manifest).items():
        overview.add_row(key, _text(value))
    settings = Table(title="settings", show_header=False, title_justify="left")
    settings.add_column(style="bold")
    settings.add_column()
    for key, value in manifest["config"].items():
        settings.add_row(_text(key), _text(value))
    tables = [overview, settings, _history_table(manifest.get("history", []))]
    validation = manifest.get("validation", {})
    if validation:
        scores = Table(title="validation", title_justify="left")
        for key in validation:
            scores.add_column(_text(key), justify="right")
        scores.add_row(*(number(v) for v in validation.values()))
        tables.append(scores)
    return tables


def _overview(manifest: dict[str, Any]) -> dict[str, object]:
    """The overview's rows: what the model is, how it reads data, and how its training ended."""
    schema = manifest["schema"]
    return {
        "format version": manifest["format_version"],
        "versions": ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items()),
        "layout": schema["layout"],
        "time column": schema["time_col"] or "(row order)",
        "id column": schema["id_col"] or "-",
        "targets": ", ".join(schema["targets"]),
        "frequency": schema["freq"],
        "covariates (past / future)": f"{', '.join(schema.get('covariates', [])) or '-'} / "
                                      f"{', '.join(schema.get('future_covariates', [])) or '-'}",
        "calendar features": ", ".join(schema.get("calendar", [])) or "-",
        "network": ", ".join(f"{key.replace('_', ' ')} {manifest['network'].get(key, default)}"  # absent: older models'
                             for key, default in (("cell", "-"), ("num_layers", "-"), ("hidden_size", "-"),
                                                  ("dropout", "-"), ("segment", 1), ("decoder", "direct"))),
        "ensemble": f"{manifest['network'].get('members', 1)} network(s)",
        "series": f"{len(manifest['series'])}: " + ", ".join(list(manifest["series"])[:5]) + (" …" if len(manifest["series"]) > 5 else ""),
        "lookback / horizon / season": f"{manifest['lookback']} / {manifest['horizon']} / {manifest['season']}",
        "season chosen": season_source(manifest.get("season_source"), schema["freq"]),
        "theta share": theta_share(manifest.get("theta_share", 0.0), manifest["config"].get("theta_share"),
                                   manifest.get("validation", {}).get("windows")),
        "window norm / transform": f"{manifest['network'].get('window_norm', '-')} / {manifest.get('transform', 'none')}",
        "quantiles": ", ".join(f"{q:g}" for q in manifest.get("quantiles", [])) or "-",
        "intervals": ", ".join(f"{level} % ({entry['method']}, {entry['windows']} windows)"
                               for level, entry in manifest.get("calibration", {}).items()) or "-",
        "stopped": f"{manifest.get('stopped')} (best epoch {manifest.get('best_epoch')})",
        "refit epochs": ", ".join(map(str, manifest.get("refit_epochs", []))) or "none",  # none before format 4
        "trained on": _threads(manifest.get("training_threads")),
        "weights sha256": manifest["weights_sha256"],
    }


def _threads(count: int | None) -> str:
    """The CPU threads a model trained on, which its weights need to be reproduced bit for bit; "-" where unknown
    (saved before it was recorded) or where it did not decide them (trained on a GPU)."""
    return "-" if count is None else f"{count} CPU thread{'s' if count > 1 else ''}"


def _history_table(history: list[dict[str, float]], shown: int = 10) -> Table:
    table = Table(title=f"training history (last {min(shown, len(history))} of {len(history)} epochs)", title_justify="left")
    for column in ("epoch", "train loss", "val loss", "lr", "seconds"):
        table.add_column(column, justify="right")
    for record in history[-shown:]:
        table.add_row(str(record["epoch"]), number(record["train_loss"]), number(record["val_loss"]),
                      f"{record['lr']:.2e}", f"{record['seconds']:.2f}")
    return table
