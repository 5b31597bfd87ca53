"""`forecaster predict`, `evaluate` and `info`: commands that use a saved model.

`predict` and `evaluate` open alike (`opened`): parse the shared options, refuse outputs that cannot
be written, load the model, refuse uncalibrated levels, then read the data the model's way.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from forecaster.cli.running import (
    AsJson, Debug, Device, Force, PickLevels, Plot, Quiet, Threads, app, print_json, report_cleaning, run,
)

@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="Model directory made by `forecaster train`.")],
    data: Annotated[Path, typer.Option(help="Data whose series are forecast from their last step (- : standard input).")],
    horizon: Annotated[Optional[int], typer.Option(help="Steps to forecast, up to the trained horizon.")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Write the forecast as CSV (series,timestamp,forecast[,q…]); - for stdout.")] = None,
    levels: PickLevels = None,
    plot: Plot = None,
    force: Force = False,
    device: Device = "auto",
    threads: Threads = "auto",
    quiet: Quiet = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Forecast the steps after the end of each series in DATA."""

    def command(stderr: Console) -> None:
        from forecaster import report

        forecaster, picked, series = opened(model, data, levels, device, threads, (output, plot, force, as_json), stderr)
        frame = forecaster.predict(series, horizon=horizon, levels=picked)
        if output is not None:
            _write_csv(frame, output, force, stderr)
        if plot is not None:
            from forecaster.plots import plot_forecast

            plot_forecast(series, frame, plot, force)
            stderr.print(f"wrote {escape(str(plot))}")
        if as_json:
            print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        elif output is None:
            _print_frame(frame, report.forecast_table)

    run(command, debug, quiet)



def opened(model: Path, data: Path, levels: str | None, device: str, threads: str, outputs: tuple, stderr: Console):
    """The opening `predict` and `evaluate` share: the loaded model, the levels picked and the data read its way.

    Whatever can be refused is refused before the data is read: outputs that cannot be written
    (`outputs`: output, plot, force, as_json) and levels the model did not calibrate.
    """
    from forecaster.config import parse_levels, parse_threads
    from forecaster.data import load_series
    from forecaster.estimator.inference import calibrated
    from forecaster.forecaster import Forecaster
    from forecaster.threads import use_threads

    use_threads(parse_threads(threads))
    picked = parse_levels(levels)
    _check_outputs(*outputs)
    forecaster = Forecaster.load(model, device=device)
    calibrated(forecaster.state_, picked)
    series = forecaster.series_set(load_series(data, forecaster.config, schema=forecaster.schema_))
    report_cleaning(series, forecaster.config.fill, stderr)
    return forecaster, picked, series


def _check_outputs(output: Path | None, plot: Path | None, force: bool, as_json: bool) -> None:
    """Refuse outputs that cannot be written before any work is done; `--output -` streams CSV to stdout."""
    from forecaster.errors import ConfigError
    from forecaster.outputs import check_output, is_stdout

    if is_stdout(output) and as_json:
        raise ConfigError("--output - and --json both write to stdout; keep one")
    for path in (output, plot):
        if path is not None and not is_stdout(path):
            check_output(path, force)


def _write_csv(frame, output: Path, force: bool, stderr: Console) -> None:
    from forecaster.outputs import is_stdout, write_atomically

    if is_stdout(output):
        _csv_to_stdout(frame)
        return
    write_atomically(output, lambda tmp: frame.to_csv(tmp, index=False), force=force)
    stderr.print(f"wrote {len(frame)} rows to {escape(str(output))}")


def _print_frame(frame, as_table) -> None:
    # A table for a person at a terminal; CSV when stdout is piped (`forecaster predict … > out.csv`).
    if sys.stdout.isatty():
        Console().print(as_table(frame))
    else:
        _csv_to_stdout(frame)


def _csv_to_stdout(frame) -> None:
    try:
        frame.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): it has what it wanted; Python must not flush into the pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model directory made by `forecaster train`.")],
    data: Annotated[Path, typer.Option(help="Data that runs past the model's training end (- : standard input).")],
    stride: Annotated[Optional[int], typer.Option(help="Steps between origins (default: the horizon).")] = None,
    start: Annotated[Optional[str], typer.Option(help="First origin (timestamp or step); before the training end scores in-sample.")] = None,
    folds: Annotated[Optional[int], typer.Option(help="Keep only the last K origins of each series.")] = None,
    retrain: Annotated[bool, typer.Option("--retrain", help="Refit from scratch before each origin (expanding window).")] = False,
    rolling: Annotated[bool, typer.Option("--rolling-intervals/--static-intervals",
                                          help="Recalibrate interval margins at each origin from the errors seen before it.")] = True,
    output: Annotated[Optional[Path], typer.Option(help="Write every window and step as CSV; - for stdout.")] = None,
    levels: PickLevels = None,
    plot: Plot = None,
    force: Force = False,
    device: Device = "auto",
    threads: Threads = "auto",
    quiet: Quiet = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Backtest MODEL on DATA from rolling origins, against naive and seasonal-naive baselines."""

    def command(stderr: Console) -> None:
        from forecaster import report
        from forecaster.backtesting import backtest
        from forecaster.outputs import is_stdout

        forecaster, picked, series = opened(model, data, levels, device, threads, (output, plot, force, as_json), stderr)
        progress = report.FoldProgress(stderr) if retrain and not (quiet or as_json) else None
        try:
            result = backtest(forecaster, series, stride=stride, start=start, folds=folds, retrain=retrain,
                              callback=progress, levels=picked, rolling=rolling)
        finally:
            if progress is not None:
                progress.close()
        if output is not None:
            _write_csv(result.forecasts, output, force, stderr)
        if plot is not None:
            from forecaster.plots import plot_backtest

            plot_backtest(result, plot, force)
            stderr.print(f"wrote {escape(str(plot))}")
        if as_json:
            print_json(result.to_dict())
        else:  # with the CSV streamed to stdout (--output -), the tables go to stderr
            _show_backtest(result, stderr if is_stdout(output) else Console())

    run(command, debug, quiet)


def _show_backtest(result, console: Console) -> None:
    """The tables of a backtest: metrics, intervals, per step, and the skill against seasonal naive."""
    from forecaster import report

    console.print(report.metrics_table(result))
    intervals = report.interval_table(result)
    if intervals is not None:
        console.print(intervals)
    console.print(report.per_step_table(result))
    if math.isfinite(result.skill):
        verdict = "better" if result.skill > 0 else "worse"
        console.print(f"skill vs seasonal naive (1 - MASE ratio): {result.skill:+.1%} ({verdict} than the baseline)")
    else:  # a constant series has no MASE scale, and a perfect seasonal naive leaves nothing to divide by
        console.print("skill vs seasonal naive: n/a (the MASE ratio is undefined for these series)")
    zeros = result.metrics["model"]["MAPE_zeros_skipped"]
    if zeros:
        console.print(f"MAPE skipped {zeros} zero actuals")


@app.command()
def info(
    model: Annotated[Path, typer.Argument(help="Model directory made by `forecaster train`.")],
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Show a model's settings, data schema, training history, validation scores and versions."""
    _show_info(model, as_json, debug)


def _show_info(model: Path, as_json: bool, debug: bool) -> None:
    """The body of `info`, shared by the Typer command and main()'s fast path."""

    def command(stderr: Console) -> None:
        from forecaster import report
        from forecaster.loading import read_manifest

        manifest = read_manifest(model)
        if as_json:
            print_json(manifest)
            return
        console = Console()
        for table in report.info_tables(manifest, str(model)):
            console.print(table)

    run(command, debug)


