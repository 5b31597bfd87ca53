"""Writing the model directory: `config.json` + `model.safetensors`, checksummed, written atomically.

`force` replaces a model directory only, never a folder holding anything else; a save killed midway
leaves the previous model, or a hidden temporary that the next save removes. Reading one is `loading`'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from forecaster import files
from forecaster.errors import ModelFileError
from forecaster.loading import CONFIG_FILE, FORMAT_VERSION, MAX_CONFIG_BYTES, WEIGHTS_FILE, set_aside, sha256_of



def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with open(path, "rb") as handle:
        return sha256_of(handle)


def check_writable(path: Path, force: bool) -> None:
    """Refuse early (before training) a target that is not a model directory, exists without `force`, or cannot be made."""
    path = Path(path)
    _refuse_if_interrupted(path)
    if path.is_symlink():
        raise ModelFileError(f"{path}: is a symbolic link; give the model directory itself, or choose another `out`")
    if path.exists() and not path.is_dir():
        raise ModelFileError(f"{path}: exists and is not a directory; choose another `out`")
    if path.exists():
        problem = foreign_content(path)
        if problem:
            raise ModelFileError(f"{path}: {problem}; `force` replaces a forecaster model directory only, "
                                 "choose another `out`")
        if not force:
            what = "a model already exists there" if any(path.iterdir()) else "an empty folder exists there"
            raise ModelFileError(f"{path}: {what}; pass `force` to replace it, or choose another `out`")
    parent = files.parent_of(path)
    parent = next((p for p in (parent, *parent.parents) if p.exists()), Path("."))
    if not parent.is_dir():
        raise ModelFileError(f"{path}: {parent} is a file, not a folder; choose another `out`")
    if not os.access(parent, os.W_OK):
        raise ModelFileError(f"{path}: cannot write in {parent}; choose another `out`")


def foreign_content(directory: Path) -> str | None:
    """What in `directory` is not a forecaster model's; None when replacing it loses nothing else.

    A model directory holds config.json that reads as a forecaster manifest, and model.safetensors
    (missing in a damaged one); an empty folder holds nothing to lose.
    """
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    extra = [name for name in names if name not in (CONFIG_FILE, WEIGHTS_FILE)]
    if extra:
        shown = ", ".join(extra[:5]) + (", …" if len(extra) > 5 else "")
        return f"is not a forecaster model directory (it holds {shown})"
    if names and CONFIG_FILE not in names:
        return f"is not a forecaster model directory ({WEIGHTS_FILE} without {CONFIG_FILE})"
    if any(not (directory / name).is_file() or (directory / name).is_symlink() for name in names):
        return f"is not a forecaster model directory (its {' or '.join(names)} is not a regular file)"
    if names and not _reads_as_manifest(directory / CONFIG_FILE):
        return f"is not a forecaster model directory (its {CONFIG_FILE} is not a forecaster model config)"
    return None


def _reads_as_manifest(config: Path) -> bool:
    # Only what every forecaster config.json has: a damaged model of ours may still be replaced.
    try:
        if config.stat().st_size > MAX_CONFIG_BYTES:
            return False
        manifest = json.loads(config.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and "format_version" in manifest and "weights_sha256" in manifest


def save_model(path: Path, manifest: dict[str, Any], tensors: dict[str, Any], force: bool = False) -> None:
    """Write weights and config to a temporary directory beside `path`, then rename it into place.

    A save killed midway leaves at most a hidden `.NAME.PID.*.partial` directory, never a half model at
    `path`; the next save to `path` removes it (see `_remove_stale`). Without `force`, of several saves
    to one new `path` exactly one succeeds.
    """
    from safetensors import SafetensorError

    path = Path(path)
    check_writable(path, force)  # again: the folder may have changed while the model trained
    with contextlib.ExitStack() as stack:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(path)
            staging = stack.enter_context(files.staging_directory(path))
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot write the model there ({exc.strerror or exc}); "
                                 "choose another `out`") from exc
        try:
            _write_model(staging, manifest, tensors)
            files.place(staging, path, replace=force, check_replaced=lambda old: _check_replaced(old, path))
        except FileExistsError:
            raise ModelFileError(f"{path}: already exists (saved meanwhile by another process); "
                                 "pass `force` to replace it, or choose another `out`") from None
        except (OSError, SafetensorError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ModelFileError(f"{path}: could not save the model ({reason}); nothing was changed there; "
                                 "free some disk space or choose another `out`") from exc


def _write_model(staging: Path, manifest: dict[str, Any], tensors: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    weights = staging / WEIGHTS_FILE
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(weights))
    manifest = {**manifest, "format_version": FORMAT_VERSION, "weights_sha256": file_sha256(weights)}
    (staging / CONFIG_FILE).write_text(json.dumps(manifest, indent=2, allow_nan=True) + "\n")
    files.fsync(staging)
    files.public_modes(staging)


def _check_replaced(old: Path, path: Path) -> None:
    # Checked once more as it is swapped out: the folder may have changed since check_writable.
    problem = foreign_content(old) if old.is_dir() and not old.is_symlink() else "is not a directory"
    if problem:
        raise ModelFileError(f"{path}: {problem}; `force` replaces a forecaster model directory only, "
                             "choose another `out`")


def _refuse_if_interrupted(path: Path) -> None:
    # Never overwrite or delete the user's only copy of their model: they move it back themselves.
    kept = set_aside(path)
    if kept is not None:
        raise ModelFileError(f"{path}: an interrupted save left the previous model in {kept}; move it back to {path} "
                             "(or delete it), then save again")


def _remove_stale(path: Path) -> None:
    """Delete what writers of `path` that no longer run left behind: they were killed mid-write.

    Staging copies are never the user's data. A model moved aside is removed only when a newer one
    is in place at `path` (it was being replaced); otherwise `_refuse_if_interrupted` has refused.
    A folder that holds anything a model directory does not is never removed.
    """
    for entry in files.temporaries(path):
        if entry.is_file():
            entry.unlink(missing_ok=True)
        elif entry.name.endswith(".partial") and _only_model_files(entry):
            shutil.rmtree(entry, ignore_errors=True)
        elif path.exists() and _only_model_files(entry, path.name) and _only_model_files(entry / path.name):
            shutil.rmtree(entry, ignore_errors=True)


def _only_model_files(directory: Path, *names: str) -> bool:
    """Whether `directory` holds nothing but a model's files (or the given `names`); a missing one holds nothing."""
    try:
        return set(os.listdir(directory)) <= set(names or (CONFIG_FILE, WEIGHTS_FILE))
    except FileNotFoundError:
        return True
    except OSError:
        return False
