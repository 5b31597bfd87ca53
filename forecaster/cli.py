"""The Typer app: parse flags, build the config, call the library once, render the result.

Heavy libraries (torch, pandas) are imported inside the commands, so `--help`
and `info` start fast. Results go to stdout; progress and messages to stderr.
Exit codes (SPEC §3): 0 success, 2 bad usage or input, 130 interrupted, 1 a bug.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from forecaster.text import visible

app = typer.Typer(
    name="forecaster",
    help="Time-series forecasting with recurrent neural networks: train, predict, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_BUG = 1
PEER_ERROR_GRACE = 10.0  # seconds a torchrun process other than the first waits for the first to report an error

# Options shared by several commands.
Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or messages on stderr.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
Device = Annotated[str, typer.Option(help="auto | cpu | cuda | mps")]
Threads = Annotated[str, typer.Option(
    help="CPU threads: a number, or auto (the cores other programs leave free, 1 to 4).")]
Plot = Annotated[Optional[Path], typer.Option(help="Write a PNG plot to this file.")]
PickLevels = Annotated[Optional[str], typer.Option(
    "--levels", help="Central intervals to output, in %, among those the model calibrated (default: all; none: no intervals).")]


def _run(command: Callable[[Console], int | None], debug: bool, quiet: bool = False) -> None:
    """Run a command body, turning the library's errors into SPEC §3 exit codes and one line on stderr."""
    from forecaster.errors import ForecasterError

    stderr = Console(stderr=True, quiet=quiet, soft_wrap=True)
    try:
        code = command(stderr) or 0
    except ForecasterError as exc:
        if debug:
            raise
        _fail(f"error: {exc}")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:
        _fail("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OSError as exc:
        # The file system refused (permissions, a vanished file, a full disk): the user's to fix, not a bug.
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"error: {where}{exc.strerror or exc}; check the path, its permissions and the free disk space")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except MemoryError as exc:
        if debug:
            raise
        _fail(f"error: out of memory {_out_of_memory_hint(exc)}")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
        if debug:
            raise
        _fail(f"internal error (a bug in forecaster): {type(exc).__name__}: {exc}; rerun with --debug for the traceback")
        raise typer.Exit(EXIT_BUG) from None
    if code:
        raise typer.Exit(code)


def _fail(message: str) -> None:
    # Plain write, not rich: one unwrapped line, whatever the terminal width. Messages quote files
    # (column names, series ids, config values), so control characters are made visible, never obeyed.
    sys.stderr.write(visible(message.replace("\n", " ")) + "\n")


def _out_of_memory_hint(exc: MemoryError) -> str:
    """Where memory ran out and what to lower: reading needs a smaller file, training a smaller network."""
    import traceback

    # The entry points on the stack (the one loader, the estimator's fit) tell the phase, without every
    # command marking it.
    called = {frame.f_code.co_name for frame, _ in traceback.walk_tb(exc.__traceback__)}
    if "load_series" in called:
        return "while reading the data: the file is too large for this machine's memory; give fewer rows or series"
    if "fit" in called:
        return "while training: lower --hidden-size, --batch-size or --lookback, or give less data"
    return "while forecasting: give fewer series at a time"


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(_finite(value), indent=2, default=str, allow_nan=False) + "\n")


def _finite(value: object) -> object:
    # NaN and Infinity are not JSON (jq and most parsers reject them); an undefined
    # score (MASE of a constant series, MAPE of all-zero actuals) becomes null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file (- : standard input): wide (time + value columns) or long (unique_id, ds, y).")],
    target: Annotated[Optional[list[str]], typer.Option(help="Value column(s), comma-separated or repeated; each is one series.")] = None,
    time_col: Annotated[Optional[str], typer.Option(help="Time column (default: found by name or type; none means row order).")] = None,
    id_col: Annotated[Optional[str], typer.Option(help="Series id column of a long file (default: unique_id if present).")] = None,
    freq: Annotated[Optional[str], typer.Option(help="Pandas frequency alias, e.g. h, D, W, MS (default: inferred).")] = None,
    fill: Annotated[str, typer.Option(help="Missing values: interpolate | ffill | zero | error.")] = "interpolate",
    sep: Annotated[Optional[str], typer.Option(help="CSV field separator, e.g. ; or \\t (default: sniffed).")] = None,
    decimal: Annotated[Optional[str], typer.Option(help="CSV decimal mark, e.g. , (default: , where the numbers are written 1,5, else .).")] = None,
    date_format: Annotated[Optional[str], typer.Option(help="Format of the time column, e.g. %d/%m/%Y (default: inferred; day-first where only it fits).")] = None,
    season: Annotated[Optional[int], typer.Option(help="Seasonal period (default: from the frequency, else detected in the data; 1: none).")] = None,
    covariates: Annotated[Optional[list[str]], typer.Option(help="Past covariate columns, known up to the forecast origin.")] = None,
    future_covariates: Annotated[Optional[list[str]], typer.Option(
        help="Covariate columns known ahead; predict needs them in the rows of the forecast steps.")] = None,
    calendar: Annotated[Optional[bool], typer.Option(
        "--calendar/--no-calendar",
        help="Hour, weekday and month features (sin/cos) from the timestamps (default: where the season dominates).")] = None,
    ensemble: Annotated[int, typer.Option(help="Fit N networks (seeds seed..seed+N-1); forecast their median.")] = 1,
    theta_share: Annotated[Optional[float], typer.Option(
        help="Share (0-1) of the Theta method's forecast blended into the network's (default: the best on validation).")] = None,
    cell: Annotated[str, typer.Option(help="Recurrent cell: lstm | gru | rnn.")] = "lstm",
    hidden_size: Annotated[int, typer.Option(help="Units per recurrent layer.")] = 64,
    num_layers: Annotated[int, typer.Option(help="Stacked recurrent layers.")] = 2,
    dropout: Annotated[Optional[float], typer.Option(help="Dropout between layers and before the head, in [0, 1) (default: 0.1, or 0.3 where the training parts hold fewer than 64 horizons).")] = None,
    lookback: Annotated[Optional[int], typer.Option(help="Input window length L (default: from horizon and season).")] = None,
    horizon: Annotated[Optional[int], typer.Option(help="Steps forecast at once H (default: the season, else 10).")] = None,
    quantiles: Annotated[Optional[str], typer.Option(help="Quantile outputs, e.g. 0.1,0.5,0.9 (pinball loss).")] = None,
    levels: Annotated[str, typer.Option(help="Central intervals in %, calibrated on the validation part (none: no intervals).")] = "80,95",
    window_norm: Annotated[str, typer.Option(help="auto | last | season | none: forecast changes from the last value or the last season (auto: season where seasonal naive beats naive in training).")] = "auto",
    transform: Annotated[str, typer.Option(help="auto | log | none: model the log of positive series (auto: log with a seasonal --window-norm where every value is above zero).")] = "auto",
    epochs: Annotated[int, typer.Option(help="Maximum epochs; early stopping often ends sooner.")] = 50,
    patience: Annotated[int, typer.Option(help="Epochs without validation improvement before stopping (0: never).")] = 10,
    batch_size: Annotated[int, typer.Option(help="Windows per training batch.")] = 64,
    windows_per_epoch: Annotated[int, typer.Option(help="Training windows sampled per epoch, at most (many series).")] = 20_000,
    lr: Annotated[float, typer.Option(help="AdamW learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option(help="AdamW weight decay.")] = 1e-4,
    lr_schedule: Annotated[str, typer.Option(help="plateau | cosine | none.")] = "plateau",
    grad_clip: Annotated[float, typer.Option(help="Max gradient norm (0: off).")] = 1.0,
    loss: Annotated[str, typer.Option(help="auto | mse | mae | huber (auto: mae with --window-norm season, else mse).")] = "auto",
    scaler: Annotated[str, typer.Option(help="standard | minmax | robust | none (per series, training part only).")] = "standard",
    holdout: Annotated[int, typer.Option(help="Last steps of each series kept out of fitting, for evaluate.")] = 0,
    val_size: Annotated[Optional[int], typer.Option(help="Validation steps before the holdout (default: about 20 %).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, data and CPU give the same model.")] = 0,
    device: Device = "auto",
    precision: Annotated[str, typer.Option(help="auto | fp32 | bf16 mixed precision (auto: bf16 on capable GPUs).")] = "auto",
    threads: Threads = "auto",
    out: Annotated[Optional[Path], typer.Option(help="Model directory (default: models/<data file stem>, models/stdin for -).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model directory.")] = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Fit a model on DATA and save it to a model directory."""

    def command(stderr: Console) -> int:
        from forecaster import distributed
        from forecaster.errors import ForecasterError

        # Under torchrun every process trains; only the first reports and writes the model.
        main = distributed.is_main_process()
        try:
            return trained(stderr if main else Console(stderr=True, quiet=True), main)
        except ForecasterError as exc:
            if main or debug:
                raise
            # The first process most likely meets the same error and says it, and torchrun then ends this one;
            # if it has not within a few seconds, the error is this process's alone, and it says it itself.
            time.sleep(PEER_ERROR_GRACE)
            _fail(f"error in process {distributed.rank()}: {exc}")
            return EXIT_USER_ERROR

    def trained(stderr: Console, main: bool) -> int:
        from forecaster import interrupts
        from forecaster.config import Config, parse_columns, parse_levels, parse_quantiles, parse_sep, parse_threads
        from forecaster.persistence import check_writable
        from forecaster.reading import STDIN
        from forecaster.threads import use_threads

        config = Config(
            target=parse_columns(target), time_col=time_col, id_col=id_col, freq=freq, fill=fill, season=season,
            sep=parse_sep(sep), decimal=decimal, date_format=date_format,
            covariates=parse_columns(covariates) or [], future_covariates=parse_columns(future_covariates) or [],
            calendar=calendar, ensemble=ensemble, theta_share=theta_share,
            cell=cell, hidden_size=hidden_size, num_layers=num_layers, dropout=dropout, lookback=lookback,
            horizon=horizon, quantiles=parse_quantiles(quantiles), levels=parse_levels(levels), window_norm=window_norm,
            transform=transform, epochs=epochs,
            patience=patience,
            batch_size=batch_size, windows_per_epoch=windows_per_epoch, lr=lr, weight_decay=weight_decay,
            lr_schedule=lr_schedule, grad_clip=grad_clip,
            loss=loss, scaler=scaler, holdout=holdout, val_size=val_size, seed=seed, device=device,
            precision=precision, threads=parse_threads(threads),
        )
        use_threads(config.threads)  # before any work: torch fixes its thread pools on first use
        model_dir = out or Path("models") / ("stdin" if str(data) == STDIN else data.stem)
        if main:
            check_writable(model_dir, force)  # before training, not after an hour of it
        with interrupts.guarded(_say_held if main and not quiet else None) as guard:
            return _train(config, data, model_dir if main else None, force, stderr, guard,
                          show_progress=main and not (quiet or as_json), as_json=as_json)

    _run(command, debug, quiet)


def _say_held(signum: int) -> None:
    # Runs inside the signal handler: a raw write, never through a buffered stream that may be mid-write.
    import signal

    then = "; Ctrl-C again stops at once, without saving" if signum == signal.SIGINT else ""
    os.write(2, f"\n{signal.Signals(signum).name}: finishing the model and saving it{then}\n".encode())


def _train(config, data: Path, model_dir: Path | None, force: bool, stderr: Console, guard, show_progress: bool,
           as_json: bool) -> int:
    """Load, fit and (when `model_dir` is given) save, then summarize; returns the exit code."""
    from forecaster import report
    from forecaster.training import CUT_SHORT

    started = time.perf_counter()
    try:
        series, model = _fitted(config, data, stderr, show_progress)
        if model_dir is not None:
            if not as_json:  # the JSON summary holds it
                stderr.print(f"season: {model.season_} "
                             f"({escape(report.season_source(model.season_source_, model.schema_.freq))})")
                stderr.print(f"theta share: {report.theta_share(model.theta_share_, model.config.theta_share)}")
            model.save(model_dir, force=force)  # a second signal stops it, and it removes what it had written
    except KeyboardInterrupt:
        if not guard.received:
            raise
        when = "again before the model was saved" if guard.holding else "before the first epoch ended"
        stderr.print(f"interrupted{_by(guard)} {when}: nothing was saved")
        return guard.exit_code
    if model_dir is None:
        return guard.exit_code if guard.received or model.result_.stopped in CUT_SHORT else 0
    summary = _train_summary(model, series, model_dir, time.perf_counter() - started)
    if as_json:
        _print_json(summary)
    else:
        Console().print(report.training_summary(summary))
    from forecaster.calibration import shortfalls

    for note in shortfalls(model.calibration_):
        stderr.print(f"[yellow]warning:[/] {note}")
    result = model.result_
    if result.stopped == "diverged":
        stderr.print(f"[yellow]warning:[/] the loss became NaN or infinite after epoch {len(result.history)}; "
                     f"saved the weights of epoch {result.best_epoch}. Lower --lr or --grad-clip to train further.")
    return _interruption_report(model, model_dir, guard, stderr)


def _fitted(config, data: Path, stderr: Console, show_progress: bool):
    """The series read from `data`, and the model fitted on them."""
    from forecaster import report
    from forecaster.data import load_series
    from forecaster.estimator.checks import training_length
    from forecaster.forecaster import Forecaster

    series = load_series(data, config, needs=training_length(config))
    _report_cleaning(series, config.fill, stderr)
    progress = report.TrainingProgress(stderr) if show_progress else None
    try:
        return series, Forecaster(config).fit(series, callback=progress)
    finally:
        if progress is not None:
            progress.close()


def _by(guard) -> str:
    # Ctrl-C needs no name; SIGTERM (timeout, docker stop, a scheduler) does.
    return f" by {guard.signal_name}" if guard.signal_name != "SIGINT" else ""


def _interruption_report(model, model_dir: Path, guard, stderr: Console) -> int:
    """Say what an interrupted run saved; its exit code (0 when nothing interrupted it)."""
    result, where = model.result_, escape(str(model_dir))
    epochs = f"best epoch {result.best_epoch} of {len(result.history)}"
    if result.stopped == "peer_lost":
        stderr.print(f"another training process was lost: saved the best weights so far ({epochs}) to {where}")
    elif result.stopped == "interrupted":
        stderr.print(f"interrupted{_by(guard)}: saved the best weights so far ({epochs}) to {where}")
    elif guard.received:
        stderr.print(f"interrupted{_by(guard)} after training ended: saved the whole model ({epochs}) to {where}")
    else:
        return 0
    return guard.exit_code


def _report_cleaning(series, fill: str, stderr: Console) -> None:
    """Say on stderr what the loader fixed, and what it kept that may make poor forecasts."""
    # File names and series ids are the user's text: escaped, so that "[" in them is not taken for rich markup,
    # and made visible, so that an escape sequence in a file cannot drive the terminal.
    source = escape(visible(series.source))
    if series.inserted or series.filled:
        stderr.print(f"{source}: inserted {series.inserted} missing timestamps; "
                     f"filled {series.filled} missing values (--fill {fill})")
    for note in series.notes:
        stderr.print(f"{source}: {escape(visible(note))}")
    for warning in series.warnings:
        stderr.print(f"[yellow]warning:[/] {source}: {escape(visible(warning))}")


def _train_summary(model, series, model_dir: Path, seconds: float) -> dict:
    import torch

    from forecaster import report

    validation = model.validation_
    return {
        "model": str(model_dir),
        "series": len(series.series),
        "cell": f"{model.config.cell} {model.config.num_layers}x{model.config.hidden_size}",
        "lookback": model.lookback_,
        "horizon": model.horizon_,
        "season": model.season_,
        "season chosen": report.season_source(model.season_source_, model.schema_.freq),
        "theta share": report.theta_share(model.theta_share_, model.config.theta_share),
        "epochs run": len(model.result_.history),
        "best epoch": model.result_.best_epoch,
        "stopped": model.result_.stopped,
        "best val loss": round(model.result_.best_val_loss, 6),
        "val MAE": round(validation["MAE"], 6),
        "val MASE": round(validation["MASE"], 4),
        "intervals": ", ".join(f"{level} % ({entry['method']})" for level, entry in model.calibration_.items()) or "none",
        "threads": torch.get_num_threads(),
        "seconds": round(seconds, 2),
    }


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
        from forecaster.config import parse_levels, parse_threads
        from forecaster.estimator.inference import calibrated
        from forecaster.forecaster import Forecaster
        from forecaster.threads import use_threads

        use_threads(parse_threads(threads))
        picked = parse_levels(levels)
        _check_outputs(output, plot, force, as_json)
        forecaster = Forecaster.load(model, device=device)
        calibrated(forecaster.state_, picked)  # an uncalibrated --levels is refused before the data is read
        series = _load_with_model(forecaster, data, stderr)
        frame = forecaster.predict(series, horizon=horizon, levels=picked)
        if output is not None:
            _write_csv(frame, output, force, stderr)
        if plot is not None:
            from forecaster.plots import plot_forecast

            plot_forecast(series, frame, plot, force)
            stderr.print(f"wrote {escape(str(plot))}")
        if as_json:
            _print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        elif output is None:
            _print_frame(frame, report.forecast_table)

    _run(command, debug, quiet)


def _check_outputs(output: Path | None, plot: Path | None, force: bool, as_json: bool) -> None:
    """Refuse outputs that cannot be written before any work is done; `--output -` streams CSV to stdout."""
    from forecaster.errors import ConfigError
    from forecaster.files import check_output, is_stdout

    if is_stdout(output) and as_json:
        raise ConfigError("--output - and --json both write to stdout; keep one")
    for path in (output, plot):
        if path is not None and not is_stdout(path):
            check_output(path, force)


def _write_csv(frame, output: Path, force: bool, stderr: Console) -> None:
    from forecaster.files import is_stdout, write_atomically

    if is_stdout(output):
        try:
            frame.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): it has what it wanted; Python must not flush into the pipe again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    write_atomically(output, lambda tmp: frame.to_csv(tmp, index=False), force=force)
    stderr.print(f"wrote {len(frame)} rows to {escape(str(output))}")


def _load_with_model(forecaster, data: Path, stderr: Console):
    from forecaster.data import load_series

    series = forecaster.series_set(load_series(data, forecaster.config, schema=forecaster.schema_))
    _report_cleaning(series, forecaster.config.fill, stderr)
    return series


def _print_frame(frame, as_table) -> None:
    # A table for a person at a terminal; CSV when stdout is piped (`forecaster predict … > out.csv`).
    if sys.stdout.isatty():
        Console().print(as_table(frame))
    else:
        frame.to_csv(sys.stdout, index=False)


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
        from forecaster.config import parse_levels, parse_threads
        from forecaster.files import is_stdout
        from forecaster.estimator.inference import calibrated
        from forecaster.forecaster import Forecaster
        from forecaster.threads import use_threads

        use_threads(parse_threads(threads))
        picked = parse_levels(levels)
        _check_outputs(output, plot, force, as_json)
        forecaster = Forecaster.load(model, device=device)
        calibrated(forecaster.state_, picked)  # an uncalibrated --levels is refused before the data is read
        series = _load_with_model(forecaster, data, stderr)
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
            _print_json(result.to_dict())
            return
        # With the CSV streamed to stdout (--output -), the tables go to stderr.
        console = stderr if is_stdout(output) else Console()
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

    _run(command, debug, quiet)


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
        from forecaster.persistence import read_manifest

        manifest = read_manifest(model)
        if as_json:
            _print_json(manifest)
            return
        console = Console()
        for table in report.info_tables(manifest, str(model)):
            console.print(table)

    _run(command, debug)


def _fast_info_args(args: list[str]) -> tuple[Path, bool] | None:
    """(model, as_json) when `args` is a plain `info MODEL [--json]`, else None: Typer must parse them.

    Only the plainest spelling qualifies; anything else (--help, --debug, a second argument, an
    argument that looks like an option, a shell-completion request) takes the full Typer path.
    """
    if not args or args[0] != "info" or any(name.endswith("_COMPLETE") for name in os.environ):
        return None
    positional = [arg for arg in args[1:] if arg != "--json"]
    if len(positional) != 1 or positional[0].startswith("-"):
        return None
    return Path(positional[0]), "--json" in args


def main() -> None:
    """Console-script entry point."""
    fast = _fast_info_args(sys.argv[1:])
    if fast is None:
        app()
        return
    # Typer 0.29 imports pydantic (0.14 s) to coerce any non-flag parameter, which alone would put
    # `info` past its 0.3 s start-up target; for these arguments Typer would only make Path(MODEL).
    try:
        _show_info(*fast, debug=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
