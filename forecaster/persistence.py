"""The model directory: `config.json` + `model.safetensors`, checksummed, written atomically.

Nothing here unpickles: weights are safetensors (plain tensors only) and the
rest is JSON, so a model directory from a stranger cannot run code. Reading the
manifest needs neither torch nor safetensors, which keeps `forecaster info` fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from forecaster import files
from forecaster.errors import ModelFileError
from forecaster.manifest import is_count, manifest_problem, time_problem

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
MAX_CONFIG_BYTES = 1 << 28  # far above any real config.json; a bigger one is never a model's
HOLDS_DIRECTORIES = os.open in os.supports_dir_fd  # not on Windows: there a model is read by its path
READ_ATTEMPTS = 5  # a model replaced while it is read is read again, from the start
REQUIRED_KEYS = ("format_version", "config", "schema", "network", "lookback", "horizon", "series", "weights_sha256")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with open(path, "rb") as handle:
        return _sha256(handle)


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


def _set_aside(path: Path) -> Path | None:
    """The previous model that a save killed between its two renames left aside, when `path` is now missing."""
    if path.exists():
        return None
    kept = [entry / path.name for entry in files.temporaries(path)
            if entry.name.endswith(".old") and (entry / path.name).is_dir()]
    return kept[0] if kept else None


def _refuse_if_interrupted(path: Path) -> None:
    # Never overwrite or delete the user's only copy of their model: they move it back themselves.
    kept = _set_aside(path)
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


def read_manifest(path: Path) -> dict[str, Any]:
    """The validated `config.json` of a model directory (the weights are not read)."""
    path = Path(path)
    if not path.exists():
        kept = _set_aside(path)
        if kept is not None:
            raise ModelFileError(f"{path}: no such model directory, but an interrupted save left the previous model "
                                 f"in {kept}; move it back to {path}")
        raise ModelFileError(f"{path}: no such model directory; train a model and save it there (`out` {path})")
    if not path.is_dir():
        raise ModelFileError(f"{path}: not a model directory (expected a folder holding {CONFIG_FILE} and {WEIGHTS_FILE})")
    config_path = path / CONFIG_FILE
    if not config_path.exists():
        raise ModelFileError(f"{path}: no {CONFIG_FILE}; this is not a forecaster model directory")
    manifest = _config_json(config_path)
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise ModelFileError(f"{config_path}: not a forecaster model config (no format_version)")
    version = manifest["format_version"]
    if not is_count(version):
        raise ModelFileError(f"{config_path}: format_version {version!r} is not a forecaster model format; "
                             "retrain the model")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path}: model format {version!r} is newer than this forecaster reads ({FORMAT_VERSION}); "
            "upgrade forecaster"
        )
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise ModelFileError(f"{config_path}: damaged model config, missing {', '.join(missing)}; retrain the model")
    problem = manifest_problem(manifest)
    if problem:
        raise ModelFileError(f"{config_path}: damaged model config, {problem}; retrain the model")
    return manifest


MAX_CONFIG_BYTES = 256 << 20  # about a million series' scalers and ends: above any real model, far below a hang
MAX_CONFIG_DEPTH = 16  # a real config.json nests 4 deep (calibration -> level -> margins -> number)


def _config_json(config_path: Path) -> Any:
    """The parsed config.json, of bounded size and nesting: JSON nested a thousand deep exceeds Python's recursion."""
    data = _config_bytes(config_path)
    too_deep = f"{config_path}: damaged, nested too deeply to be a model config; retrain the model"
    try:
        manifest = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ModelFileError(too_deep) from None
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long for Python to read
        reason = str(exc).split(";")[0]  # Python's own advice after ";" (set_int_max_str_digits) is not the user's
        raise ModelFileError(f"{config_path}: damaged, not valid JSON ({reason}); retrain the model") from None
    if not _nested_at_most(manifest, MAX_CONFIG_DEPTH):
        raise ModelFileError(too_deep)
    return manifest


def _config_bytes(config_path: Path) -> bytes:
    """config.json's bytes, read only from a regular file of at most MAX_CONFIG_BYTES.

    A hostile model directory may hold a FIFO there (an open would wait for a writer forever), or a
    link to /dev/zero or /dev/urandom (a read would never end).
    """
    import stat

    try:
        # Non-blocking, so that opening a FIFO returns at once; fstat then refuses all but regular files.
        descriptor = os.open(config_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ModelFileError(f"{config_path}: cannot be read ({exc.strerror or exc})") from None
    data = b""
    try:
        status = os.fstat(descriptor)
        # The size is checked before reading, and the read is bounded too: the file may grow meanwhile.
        if stat.S_ISREG(status.st_mode) and status.st_size <= MAX_CONFIG_BYTES:
            with open(descriptor, "rb", closefd=False) as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(status.st_mode):
        raise ModelFileError(f"{config_path}: not a regular file (a device, pipe or folder); "
                             "this is not a forecaster model directory")
    if status.st_size > MAX_CONFIG_BYTES or len(data) > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{config_path}: larger than {MAX_CONFIG_BYTES >> 20} MiB, far more than a model "
                             "config holds; this is not a forecaster model directory")
    return data


def _nested_at_most(value: Any, depth: int) -> bool:
    """Whether lists and objects in `value` nest at most `depth` deep; level by level, so no recursion."""
    level = [value]
    for _ in range(depth + 1):
        level = [child for node in level if isinstance(node, (dict, list))
                 for child in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return True
    return False


def load_model(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and weight tensors of a model directory, after checking the weights' checksum.

    Both files come from one and the same directory even while another process replaces it with `force`.
    """
    path = Path(path)
    for _ in range(READ_ATTEMPTS):
        # Saves swap in whole directories: hold one, keep its config.json if `path` still names it, read its weights.
        with _held_directory(path) as held:
            try:
                return _read_model(path, held)
            except _Replaced:
                continue
    raise ModelFileError(f"{path}: replaced by another process each time it was read; try again once saving ends")


class _Replaced(Exception):
    """The model directory was replaced while it was being read."""


@contextlib.contextmanager
def _held_directory(path: Path):
    if not HOLDS_DIRECTORIES:
        yield None
        return
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield None  # missing or not a folder: reading it says so
        return
    try:
        yield handle
    finally:
        os.close(handle)


def _still_named(path: Path, handle: int | None) -> bool:
    if handle is None:
        return False
    try:
        now, held = os.stat(path), os.fstat(handle)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _read_model(path: Path, held: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    manifest = read_manifest(path)
    if HOLDS_DIRECTORIES and not _still_named(path, held):
        raise _Replaced
    problem = time_problem(manifest)
    if problem:
        raise ModelFileError(f"{path / CONFIG_FILE}: damaged model config, {problem}; retrain the model")
    weights = path / WEIGHTS_FILE
    with _open_weights(path, held) as handle:
        if _sha256(handle) != manifest["weights_sha256"]:
            raise ModelFileError(
                f"{weights}: checksum mismatch, the weights were changed or damaged after saving; retrain the model"
            )
        handle.seek(0)
        try:
            tensors = load(handle.read())
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelFileError(f"{weights}: not a readable safetensors file ({exc})") from None
    problem = _network_problem(manifest["network"], tensors)
    if problem:
        raise ModelFileError(f"{path}: the model config and weights do not fit together ({problem}); retrain the model")
    return manifest, tensors


def _open_weights(path: Path, held: int | None):
    """The weights file of the held directory, opened; a damaged directory is refused."""
    try:
        # O_NONBLOCK: a FIFO planted as the weights must not hang the reader before it is refused.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
        handle = os.open(path / WEIGHTS_FILE, flags) if held is None else os.open(WEIGHTS_FILE, flags, dir_fd=held)
    except FileNotFoundError:
        if held is not None and not _still_named(path, held):
            raise _Replaced from None  # its saver removed it after swapping in a new model
        handle = None
    except OSError:
        handle = None
    if handle is not None and not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        handle = None
    if handle is None:
        raise ModelFileError(f"{path}: no {WEIGHTS_FILE}; the model directory is incomplete, retrain the model")
    return os.fdopen(handle, "rb")


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _network_problem(network: dict[str, Any], tensors: dict[str, Any]) -> str | None:
    """How the weights differ from the network that config.json describes; None when they match.

    The network is built on torch's meta device, which allocates nothing, so that a config.json from a
    stranger cannot make forecaster build a network of any size before its weights have been compared.
    """
    import torch

    from forecaster.model import NetworkShape, build_network

    layers, members = network.get("num_layers"), network.get("members", 1)
    if not is_count(layers) or layers > len(tensors):  # each layer has tensors of its own; a huge count is slow even on meta
        return f"num_layers {layers!r} for {len(tensors)} weight tensors"
    if not is_count(members) or members > len(tensors):  # as for layers: each member has tensors of its own
        return f"members {members!r} for {len(tensors)} weight tensors"
    known, inputs = network.get("known", 0), network.get("input_size")
    if not (isinstance(known, int) and not isinstance(known, bool) and is_count(inputs) and 0 <= known < inputs):
        return f"known {known!r} of input_size {inputs!r}: the known-ahead channels must be fewer than all inputs"
    changes, norm, season = network.get("season_changes", False), network.get("window_norm"), network.get("season")
    if not isinstance(changes, bool):
        return f"season_changes {changes!r}: must be true or false"
    if changes and not (norm == "season" and is_count(season) and season > 1):
        # The channel subtracts the value a season back: without a seasonal base and a season, it means nothing.
        return (f"season_changes with window_norm {norm!r} and season {season!r}: "
                "needs window_norm 'season' and a season above 1")
    try:
        with torch.device("meta"):
            skeleton = build_network(NetworkShape(**network))
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        return f"no network can be built from {json.dumps(network, default=str)[:200]}: {exc}"
    expected = {name: tuple(value.shape) for name, value in skeleton.state_dict().items()}
    found = {name: tuple(value.shape) for name, value in tensors.items()}
    for name in sorted(expected.keys() | found.keys()):
        if expected.get(name) != found.get(name):
            return f"{name}: the config describes {expected.get(name, 'no such tensor')}, the weights hold {found.get(name, 'none')}"
    return None
