"""`forecaster train`: read, fit, save and summarise; its options are `Config`'s fields.

Each setting's default lives in `Config`; an option whose text the CLI parses (`--levels 80,95`)
has a text default of its own, which tests check parses to `Config`'s.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from forecaster.cli.running import (
    EXIT_USER_ERROR, AsJson, Debug, Device, Quiet, Threads, app, fail, print_json, report_cleaning, run,
)
from forecaster.config import (
    Config, flag, parse_columns, parse_ensemble, parse_levels, parse_quantiles, parse_segment, parse_sep, parse_thousands,
    parse_threads,
    with_flags,
)

PEER_ERROR_GRACE = 10.0  # seconds a torchrun process other than the first waits for the first to report an error
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Config) if f.default is not dataclasses.MISSING}
# Options given as text that the CLI parses into the setting's value; the other options are the values.
PARSED = {
    "target": parse_columns,
    "covariates": lambda values: parse_columns(values) or [],
    "future_covariates": lambda values: parse_columns(values) or [],
    "sep": parse_sep,
    "thousands": parse_thousands,
    "quantiles": parse_quantiles,
    "levels": parse_levels,
    "threads": parse_threads,
    "segment": parse_segment,
    "ensemble": parse_ensemble,
}


def settings_of(options: dict[str, Any]) -> Config:
    """The config of `train`'s options: each of `Config`'s fields, parsed where the option is text."""
    return Config(**{f.name: PARSED.get(f.name, _as_given)(options[f.name]) for f in dataclasses.fields(Config)})


def _as_given(value: Any) -> Any:
    return value


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file (- : standard input): wide (time + value columns) or long (unique_id, ds, y).")],
    target: Annotated[Optional[list[str]], typer.Option(help="Value column(s), comma-separated or repeated; each is one series.")] = None,
    time_col: Annotated[Optional[str], typer.Option(help="Time column (default: found by name or type; none means row order).")] = DEFAULTS["time_col"],
    id_col: Annotated[Optional[str], typer.Option(help="Series id column of a long file (default: unique_id if present).")] = DEFAULTS["id_col"],
    freq: Annotated[Optional[str], typer.Option(help="Pandas frequency alias, e.g. h, D, W, MS (default: inferred).")] = DEFAULTS["freq"],
    fill: Annotated[str, typer.Option(help="Missing values: interpolate | ffill | zero | error.")] = DEFAULTS["fill"],
    sep: Annotated[Optional[str], typer.Option(help="CSV field separator, e.g. ; or \\t (default: sniffed).")] = None,
    decimal: Annotated[Optional[str], typer.Option(help="CSV decimal mark, e.g. , (default: , where the numbers are written 1,5, else .).")] = DEFAULTS["decimal"],
    thousands: Annotated[Optional[str], typer.Option(help="CSV thousands separator, e.g. . in 1.234,5, or space (default: none).")] = DEFAULTS["thousands"],
    date_format: Annotated[Optional[str], typer.Option(help="Format of the time column, e.g. %d/%m/%Y (default: inferred; day-first where only it fits).")] = DEFAULTS["date_format"],
    season: Annotated[Optional[int], typer.Option(help="Seasonal period (default: from the frequency, else detected in the data; 1: none).")] = DEFAULTS["season"],
    covariates: Annotated[Optional[list[str]], typer.Option(help="Past covariate columns, known up to the forecast origin.")] = None,
    future_covariates: Annotated[Optional[list[str]], typer.Option(
        help="Covariate columns known ahead; predict needs them in the rows of the forecast steps.")] = None,
    calendar: Annotated[Optional[bool], typer.Option(
        "--calendar/--no-calendar",
        help="Hour, weekday and month features (sin/cos) from the timestamps (default: where the season dominates).")] = DEFAULTS["calendar"],
    ensemble: Annotated[str, typer.Option(
        help="Fit N networks (seeds seed..seed+N-1); forecast their median (auto: 3 where the network reads segments "
             "and every training window fits in one epoch, else 1).")] = "auto",
    theta_share: Annotated[Optional[float], typer.Option(
        help="Share (0-1) of the Theta method's forecast blended into the network's (default: the best on validation).")] = DEFAULTS["theta_share"],
    cell: Annotated[str, typer.Option(help="Recurrent cell: lstm | gru | rnn.")] = DEFAULTS["cell"],
    hidden_size: Annotated[int, typer.Option(help="Units per recurrent layer.")] = DEFAULTS["hidden_size"],
    num_layers: Annotated[int, typer.Option(help="Stacked recurrent layers.")] = DEFAULTS["num_layers"],
    dropout: Annotated[Optional[float], typer.Option(help="Dropout between layers and before the head, in [0, 1) (default: 0.1, or 0.3 where the training parts hold fewer than 64 horizons).")] = DEFAULTS["dropout"],
    lookback: Annotated[Optional[int], typer.Option(help="Input window length L (default: from horizon and season, rounded up to whole segments).")] = DEFAULTS["lookback"],
    segment: Annotated[str, typer.Option(
        help="Steps the recurrent cell reads at once (SegRNN): W > 1 cuts the lookback into L/W embedded segments, "
             "L a multiple of W; 1: step by step (auto: the season, else 24, on lookbacks of 64 steps and more).")] = "auto",
    decoder: Annotated[str, typer.Option(
        help="direct | parallel: one linear head for all H steps, or one cell step per W-step output segment, "
             "all at once (SegRNN).")] = DEFAULTS["decoder"],
    horizon: Annotated[Optional[int], typer.Option(help="Steps forecast at once H (default: the season, else 10).")] = DEFAULTS["horizon"],
    quantiles: Annotated[Optional[str], typer.Option(help="Quantile outputs, e.g. 0.1,0.5,0.9 (pinball loss).")] = None,
    levels: Annotated[str, typer.Option(help="Central intervals in %, calibrated on the validation part (none: no intervals).")] = "80,95",
    window_norm: Annotated[str, typer.Option(help="auto | last | season | none: forecast changes from the last value or the last season (auto: season where seasonal naive beats naive in training).")] = DEFAULTS["window_norm"],
    transform: Annotated[str, typer.Option(help="auto | log | none: model the log of positive series (auto: log with a seasonal --window-norm where every value is above zero).")] = DEFAULTS["transform"],
    epochs: Annotated[int, typer.Option(help="Maximum epochs; early stopping often ends sooner.")] = DEFAULTS["epochs"],
    patience: Annotated[int, typer.Option(help="Epochs without validation improvement before stopping (0: never).")] = DEFAULTS["patience"],
    refit: Annotated[Optional[bool], typer.Option(
        "--refit/--no-refit",
        help="Then train again on the training and validation parts, for the epochs early stopping chose (default: "
             "where every training window fits in one epoch).")] = DEFAULTS["refit"],
    batch_size: Annotated[int, typer.Option(help="Windows per training batch.")] = DEFAULTS["batch_size"],
    windows_per_epoch: Annotated[int, typer.Option(help="Training windows sampled per epoch, at most (many series).")] = DEFAULTS["windows_per_epoch"],
    lr: Annotated[float, typer.Option(help="AdamW learning rate.")] = DEFAULTS["lr"],
    weight_decay: Annotated[float, typer.Option(help="AdamW weight decay.")] = DEFAULTS["weight_decay"],
    lr_schedule: Annotated[str, typer.Option(help="plateau | cosine | none.")] = DEFAULTS["lr_schedule"],
    grad_clip: Annotated[float, typer.Option(help="Max gradient norm (0: off).")] = DEFAULTS["grad_clip"],
    loss: Annotated[str, typer.Option(help="auto | mse | mae | huber (auto: mae with --window-norm season, else mse).")] = DEFAULTS["loss"],
    scaler: Annotated[str, typer.Option(help="standard | minmax | robust | none (per series, training part only).")] = DEFAULTS["scaler"],
    holdout: Annotated[int, typer.Option(help="Last steps of each series kept out of fitting, for evaluate.")] = DEFAULTS["holdout"],
    val_size: Annotated[Optional[int], typer.Option(help="Validation steps before the holdout (default: about 20 %).")] = DEFAULTS["val_size"],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, data and CPU give the same model.")] = DEFAULTS["seed"],
    device: Device = DEFAULTS["device"],
    precision: Annotated[str, typer.Option(help="auto | fp32 | bf16 mixed precision (auto: bf16 on capable GPUs).")] = DEFAULTS["precision"],
    threads: Threads = "auto",
    out: Annotated[Optional[Path], typer.Option(help="Model directory (default: models/<data file stem>, models/stdin for -).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model directory.")] = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
    debug: Debug = False,
) -> None:
    """Fit a model on DATA and save it to a model directory."""
    options = dict(locals())  # every option, by name: the settings among them make the config

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
            fail(f"error in process {distributed.rank()}: {with_flags(str(exc))}")
            return EXIT_USER_ERROR

    def trained(stderr: Console, main: bool) -> int:
        from forecaster import interrupts
        from forecaster.persistence import check_writable
        from forecaster.data.reading import STDIN
        from forecaster.threads import use_threads

        config = settings_of(options)
        use_threads(config.threads)  # before any work: torch fixes its thread pools on first use
        model_dir = out or Path("models") / ("stdin" if str(data) == STDIN else data.stem)
        if main:
            check_writable(model_dir, force)  # before training, not after an hour of it
        with interrupts.guarded(_say_held if main and not quiet else None) as guard:
            return _train(config, data, model_dir if main else None, force, stderr, guard,
                          show_progress=main and not (quiet or as_json), as_json=as_json)

    run(command, debug, quiet)


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
                _say_choices(model, stderr)
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
        print_json(summary)
    else:
        Console().print(report.training_summary(summary))
    _warn(model, stderr)
    return _interruption_report(model, model_dir, guard, stderr)


def _say_choices(model, stderr: Console) -> None:
    """What fitting chose that the summary does not show: the season, the Theta share, the series lengthened."""
    from forecaster import report

    stderr.print(f"season: {model.season_} ({escape(report.season_source(model.season_source_, model.schema_.freq))})")
    stderr.print(f"segment: {_segment_choice(model)}")
    stderr.print(f"ensemble: {_ensemble_choice(model)}")
    stderr.print(f"calendar: {_calendar_choice(model)}")
    stderr.print(f"refit: {_refit_choice(model)}")
    stderr.print(f"theta share: {_theta_share(model)}")
    lengthened = sum("lengthened" in info for info in model.series_.values())
    if lengthened:
        stderr.print(f"{lengthened} series shorter than lookback {model.lookback_} + horizon "
                     f"{model.horizon_} of training lengthened at their start with their first value")


def _segment_choice(model) -> str:
    from forecaster import auto

    segment = model.net_.shape.segment
    if model.config.segment is not None:
        return f"{segment} (given with {flag('segment')})"
    return f"{segment} ({auto.segment_reason(segment, model.season_, model.lookback_)})"


def _ensemble_choice(model) -> str:
    from forecaster import auto

    members = model.net_.shape.members
    if model.config.ensemble is not None:
        return f"{members} (given with {flag('ensemble')})"
    return f"{members} ({auto.ensemble_reason(members, model.net_.shape.segment)})"


def _calendar_choice(model) -> str:
    from forecaster import auto

    names = ", ".join(model.schema_.calendar) or "none"
    if model.config.calendar is not None:
        return f"{names} (given with {flag('calendar') if model.config.calendar else '--no-calendar'})"
    return f"{names} ({auto.calendar_reason(model.net_.shape.window_norm)})"


def _refit_choice(model) -> str:
    from forecaster import auto

    refitted = bool(model.result_.refit_epochs)
    epochs = f"{', '.join(map(str, model.result_.refit_epochs))} epochs" if refitted else "none"
    if model.config.refit is not None:
        return f"{epochs} (given with {flag('refit') if model.config.refit else '--no-refit'})"
    return f"{epochs} ({auto.refit_reason(refitted, model.net_.shape.window_norm)})"


def _warn(model, stderr: Console) -> None:
    """Warnings about the saved model: intervals on few windows, epochs unranked, a loss that diverged."""
    from forecaster.calibration import shortfalls
    from forecaster.config import MIN_RANKING_WINDOWS

    for note in shortfalls(model.calibration_):
        stderr.print(f"[yellow]warning:[/] {with_flags(note)}")
    if _few_windows(model):
        stderr.print(f"[yellow]warning:[/] fewer than {MIN_RANKING_WINDOWS} validation windows cannot rank epochs or "
                     "choose a Theta share: training ran every epoch and kept the last, and the forecast is the "
                     "network's own; give a longer --val-size or more data")
    result = model.result_
    if result.stopped == "diverged":
        stderr.print(f"[yellow]warning:[/] the loss became NaN or infinite after epoch {len(result.history)}; "
                     f"saved the weights of epoch {result.best_epoch}. Lower --lr or --grad-clip to train further.")


def _fitted(config, data: Path, stderr: Console, show_progress: bool):
    """The series read from `data`, and the model fitted on them."""
    from forecaster import report
    from forecaster.data import load_series
    from forecaster.estimator.checks import training_length
    from forecaster.forecaster import Forecaster

    series = load_series(data, config, needs=training_length(config))
    report_cleaning(series, config.fill, stderr)
    progress = report.TrainingProgress(stderr) if show_progress else None
    try:
        return series, Forecaster(config).fit(series, callback=progress)
    finally:
        if progress is not None:
            progress.close()


def _by(guard) -> str:
    # Ctrl-C needs no name; SIGTERM (timeout, docker stop, a scheduler) does.
    return f" by {guard.signal_name}" if guard.signal_name != "SIGINT" else ""


def _few_windows(model) -> bool:
    """Whether the model was validated on too few windows to rank epochs or choose a Theta share (see training)."""
    from forecaster.config import MIN_RANKING_WINDOWS

    return model.validation_["windows"] < MIN_RANKING_WINDOWS


def _theta_share(model) -> str:
    from forecaster import report

    return report.theta_share(model.theta_share_, model.config.theta_share, model.validation_["windows"])


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


def _train_summary(model, series, model_dir: Path, seconds: float) -> dict:
    import torch

    from forecaster import report

    validation = model.validation_
    return {
        "model": str(model_dir),
        "series": len(series.series),
        "cell": f"{model.config.cell} {model.config.num_layers}x{model.config.hidden_size}",
        "lookback": model.lookback_,
        "segment": model.net_.shape.segment,
        "ensemble": model.net_.shape.members,
        "horizon": model.horizon_,
        "season": model.season_,
        "season chosen": report.season_source(model.season_source_, model.schema_.freq),
        "theta share": _theta_share(model),
        "epochs run": len(model.result_.history),
        "best epoch": model.result_.best_epoch,
        "stopped": model.result_.stopped,
        "refit epochs": ", ".join(map(str, model.result_.refit_epochs)) or "none",
        "best val loss": round(model.result_.best_val_loss, 6),
        "val MAE": round(validation["MAE"], 6),
        "val MASE": round(validation["MASE"], 4),
        "intervals": ", ".join(f"{level} % ({entry['method']})" for level, entry in model.calibration_.items()) or "none",
        "threads": torch.get_num_threads(),
        "seconds": round(seconds, 2),
    }


