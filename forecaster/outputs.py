"""Output files (CSV, PNG, `-` for stdout): checked before any work, then written atomically.

Their errors are `OutputError`s, never a model file's; the atomic steps are `files`'.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from forecaster import files
from forecaster.errors import OutputError

STDOUT = "-"  # the output name that means "write to standard output"


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


def check_output(path: Path, force: bool) -> None:
    """Refuse early an output that is not a plain file, exists without `force`, or cannot be written."""
    path = Path(path)
    problem = not_a_regular_file(path)
    if problem:
        raise OutputError(f"{path}: {problem}")
    if os.path.lexists(path) and not force:
        raise OutputError(f"{path}: already exists; pass `force` to replace it, or choose another name")
    parent = files.parent_of(path)
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{path}: {parent} is a file, not a folder; choose another name")
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist; create it or choose another name")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: cannot write in {parent}")


def not_a_regular_file(path: Path) -> str | None:
    """Why `path` may not be replaced by a file; None when it is missing or a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None  # missing, or under a folder that is not one: the folder checks say which
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory; give a file name"
    if stat.S_ISLNK(mode):
        return "is a symbolic link; forecaster replaces regular files only, give the file itself or another name"
    return ("is not a regular file (a device, pipe or socket); forecaster replaces regular files only, "
            "choose another name")


def write_atomically(path: Path, write: Callable[[Path], object], force: bool = False) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it into place.

    A crash or Ctrl-C mid-write leaves the old file (or nothing), never half a file; a kill -9 leaves
    a hidden `.NAME.PID.*.partial.EXT` file that the next write of `path` removes. Without `force`,
    of several writers of one new name exactly one succeeds.
    """
    path = Path(path)
    check_output(path, force)
    with contextlib.ExitStack() as stack:
        try:
            files.remove_stale_files(path)
            temporary = stack.enter_context(files.staging_file(path))
        except OSError as exc:
            raise OutputError(f"{path}: cannot write there ({exc.strerror or exc}); choose another name") from exc
        try:
            write(temporary)
            files.public_modes(temporary)
            files.fsync(temporary)
            files.place(temporary, path, replace=force, check_replaced=lambda old: _check_regular(old, path))
        except FileExistsError:
            raise OutputError(f"{path}: already exists (written meanwhile by another process); "
                              "pass `force` to replace it, or choose another name") from None
        except OSError as exc:
            raise OutputError(f"{path}: could not write it ({exc.strerror or exc}); nothing was changed there; "
                              "free some disk space or choose another name") from exc


def _check_regular(replaced: Path, path: Path) -> None:
    problem = not_a_regular_file(replaced)
    if problem:
        raise OutputError(f"{path}: {problem}")
