"""The Typer app: parse flags, build the config, call the library once, render the result.

`running` holds what every command shares (the app, common options, errors to exit codes);
`training` the `train` command, whose options are `Config`'s fields; `using` the commands that use
a saved model (`predict`, `evaluate`, `info`). Heavy libraries (torch, pandas) are imported inside
the commands, so `--help` and `info` start fast. Results go to stdout; progress and messages to stderr.
Exit codes (SPEC §3): 0 success, 2 bad usage or input, 130 interrupted, 1 a bug.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from forecaster.cli import training, using  # noqa: F401  (registers the commands)
from forecaster.cli.running import app
from forecaster.cli.using import _show_info

__all__ = ["app", "main"]


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
