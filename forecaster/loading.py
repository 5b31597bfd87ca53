"""Reading a model directory: `config.json` validated, the weights checked against its checksum and its network.

Nothing here unpickles: weights are safetensors (plain tensors only) and the rest is JSON, so a
model directory from a stranger cannot run code. Reading the manifest needs neither torch nor
safetensors, which keeps `forecaster info` fast. Writing one is `persistence`'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from forecaster import files
from forecaster.errors import ModelFileError
from forecaster.manifest import is_count, manifest_problem, time_problem

# 2: the config's segment is automatic unless given (format 1's default: 1, step by step).
# 3: so is its ensemble (format 2 always wrote a number of networks).
# 4: networks may be trained again on the training and validation parts (`refit`; format 3: never).
FORMAT_VERSION = 4
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HOLDS_DIRECTORIES = os.open in os.supports_dir_fd  # not on Windows: there a model is read by its path
READ_ATTEMPTS = 5  # a model replaced while it is read is read again, from the start
REQUIRED_KEYS = ("format_version", "config", "schema", "network", "lookback", "horizon", "series", "weights_sha256")


def set_aside(path: Path) -> Path | None:
    """The previous model that a save killed between its two renames left aside, when `path` is now missing."""
    if path.exists():
        return None
    kept = [entry / path.name for entry in files.temporaries(path)
            if entry.name.endswith(".old") and (entry / path.name).is_dir()]
    return kept[0] if kept else None


def read_manifest(path: Path) -> dict[str, Any]:
    """The validated `config.json` of a model directory (the weights are not read)."""
    path = Path(path)
    if not path.exists():
        kept = set_aside(path)
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
    return upgraded(manifest)


def upgraded(manifest: dict[str, Any]) -> dict[str, Any]:
    """A valid manifest in today's terms: what an older format left to its defaults, written out.

    The format version stays the file's own, for `info` to show.
    """
    config = manifest["config"]  # an object: `manifest_problem` checked it
    if manifest["format_version"] < 2:
        # Format 1 read windows step by step unless `segment` was given; today's default chooses by rule.
        config = {**config, "segment": config.get("segment", 1)}
    if manifest["format_version"] < 3:
        # Before format 3 a config always held its number of networks; today's default chooses by rule.
        config = {**config, "ensemble": config.get("ensemble", 1)}
    if manifest["format_version"] < 4:
        # Before format 4 no network was fitted again after early stopping; today's default is to.
        config = {**config, "refit": config.get("refit", False)}
    return {**manifest, "config": config}


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
        if sha256_of(handle) != manifest["weights_sha256"]:
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


def sha256_of(handle) -> str:
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
