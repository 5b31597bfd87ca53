"""What every command shares: the app, the options common to several commands, and one way to run a command.

`run` turns the library's errors into SPEC §3's exit codes and one line on stderr; the library names
settings (`horizon`), and this line says them as the flags the user typed (`--horizon`).
Results go to stdout; progress and messages to stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from forecaster.config import with_flags
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
    help="CPU threads: a number, or auto (OMP_NUM_THREADS where set, else the cores other programs leave free, 1 to 4).")]
Plot = Annotated[Optional[Path], typer.Option(help="Write a PNG plot to this file.")]
PickLevels = Annotated[Optional[str], typer.Option(
    "--levels", help="Central intervals to output, in %, among those the model calibrated (default: all; none: no intervals).")]


def run(command: Callable[[Console], int | None], debug: bool, quiet: bool = False) -> None:
    """Run a command body, turning the library's errors into SPEC §3 exit codes and one line on stderr."""
    from forecaster.errors import ForecasterError

    stderr = Console(stderr=True, quiet=quiet, soft_wrap=True)
    try:
        code = command(stderr) or 0
    except ForecasterError as exc:
        if debug:
            raise
        fail(f"error: {with_flags(str(exc))}")  # the library names settings; the user typed flags
        raise typer.Exit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:
        fail("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OSError as exc:
        # The file system refused (permissions, a vanished file, a full disk): the user's to fix, not a bug.
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"error: {where}{exc.strerror or exc}; check the path, its permissions and the free disk space")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except MemoryError as exc:
        if debug:
            raise
        fail(f"error: out of memory {_out_of_memory_hint(exc)}")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
        if debug:
            raise
        fail(f"internal error (a bug in forecaster): {type(exc).__name__}: {exc}; rerun with --debug for the traceback")
        raise typer.Exit(EXIT_BUG) from None
    if code:
        raise typer.Exit(code)


def fail(message: str) -> None:
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


def print_json(value: object) -> None:
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


def report_cleaning(series, fill: str, stderr: Console) -> None:
    """Say on stderr what the loader fixed, and what it kept that may make poor forecasts."""
    # File names and series ids are the user's text: escaped, so that "[" in them is not taken for rich markup,
    # and made visible, so that an escape sequence in a file cannot drive the terminal.
    source = escape(visible(series.source))
    if series.inserted or series.filled:
        stderr.print(f"{source}: inserted {series.inserted} missing timestamps; "
                     f"filled {series.filled} missing values (--fill {fill})")
    for note in series.notes:
        stderr.print(f"{source}: {escape(visible(with_flags(note)))}")
    for warning in series.warnings:
        stderr.print(f"[yellow]warning:[/] {source}: {escape(visible(with_flags(warning)))}")
