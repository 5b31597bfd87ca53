"""The model directory: `config.json` + `model.safetensors`, checksummed, written atomically.

Nothing here unpickles: weights are safetensors (plain tensors only) and the
rest is JSON, so a model directory from a stranger cannot run code. Reading the
manifest needs neither torch nor safetensors, which keeps `forecaster info` fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecaster.errors import ModelFileError
from forecaster.manifest import is_count, manifest_problem, time_problem

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
REQUIRED_KEYS = ("format_version", "config", "schema", "network", "lookback", "horizon", "series", "weights_sha256")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_writable(path: Path, force: bool) -> None:
    """Refuse early (before any training) a target that exists without --force or cannot be made."""
    path = Path(path)
    _refuse_if_interrupted(path)
    if path.exists() and not path.is_dir():
        raise ModelFileError(f"{path}: exists and is not a directory; choose another --out")
    if path.exists() and not force:
        raise ModelFileError(f"{path}: a model already exists there; pass --force to replace it, or choose another --out")
    parent = path.parent if str(path.parent) else Path(".")
    parent = next((p for p in (parent, *parent.parents) if p.exists()), Path("."))
    if not parent.is_dir():
        raise ModelFileError(f"{path}: {parent} is a file, not a folder; choose another --out")
    if not os.access(parent, os.W_OK):
        raise ModelFileError(f"{path}: cannot write in {parent}; choose another --out")


def save_model(path: Path, manifest: dict[str, Any], tensors: dict[str, Any], force: bool = False) -> None:
    """Write weights and config to a temporary directory beside `path`, then rename it into place.

    A save killed midway leaves at most a hidden `.NAME.PID.*.partial` directory, never a half model at
    `path`; the next save to `path` removes it (see `_remove_stale`).
    """
    from safetensors.torch import save_file

    path = Path(path)
    check_writable(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path)
        staging = Path(tempfile.mkdtemp(prefix=_temporary_prefix(path), suffix=".partial", dir=path.parent))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write the model there ({exc.strerror or exc}); choose another --out") from exc
    try:
        weights = staging / WEIGHTS_FILE
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(weights))
        manifest = {**manifest, "format_version": FORMAT_VERSION, "weights_sha256": file_sha256(weights)}
        (staging / CONFIG_FILE).write_text(json.dumps(manifest, indent=2, allow_nan=True) + "\n")
        _fsync_tree(staging)
        _public_modes(staging)
        _replace_directory(staging, path)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelFileError(f"{path}: could not save the model ({exc.strerror or exc}); nothing was changed "
                             "there; free some disk space or choose another --out") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _temporary_prefix(path: Path) -> str:
    # The writer's process id is in the name, so that a later save can tell a dead writer's leftovers
    # (a kill -9 mid-save) from another process's save in progress.
    return f".{path.name}.{os.getpid()}."


def _temporaries(path: Path) -> list[tuple[Path, int]]:
    """Staging and retired siblings of `path` (`.NAME.PID.xxxx.partial[.ext]`, `.NAME.PID.xxxx.old`), with their PID."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.\w+\.(?:partial|old)(?:\.\w+)?")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return []
    found = ((entry, pattern.fullmatch(entry.name)) for entry in parent.iterdir())
    return [(entry, int(match[1])) for entry, match in found if match]


def _running(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill would stop the process there; never clean up on Windows
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _set_aside(path: Path) -> Path | None:
    """The previous model that a save killed between its two renames left aside, when `path` is now missing."""
    if path.exists():
        return None
    kept = [entry / path.name for entry, pid in _temporaries(path)
            if entry.name.endswith(".old") and (entry / path.name).is_dir() and not _running(pid)]
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
    """
    for entry, pid in _temporaries(path):
        if pid == os.getpid() or _running(pid) or (entry.name.endswith(".old") and not path.exists()):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _public_modes(path: Path) -> None:
    """Give a staged file or directory the modes a plain open/mkdir would (mkstemp/mkdtemp make them private)."""
    mask = _umask()
    path.chmod(0o777 & ~mask if path.is_dir() else 0o666 & ~mask)
    if path.is_dir():
        for child in path.iterdir():
            child.chmod(0o666 & ~mask)


def _fsync_tree(directory: Path) -> None:
    for child in directory.iterdir():
        with open(child, "rb") as handle:
            os.fsync(handle.fileno())


def _replace_directory(staging: Path, path: Path) -> None:
    # A rename is atomic, but a non-empty directory cannot be renamed over: move the old one
    # aside first, and only delete it once the new one is in place.
    if not path.exists():
        os.replace(staging, path)
        return
    retired = Path(tempfile.mkdtemp(prefix=_temporary_prefix(path), suffix=".old", dir=path.parent))
    os.replace(path, retired / path.name)
    os.replace(staging, path)
    shutil.rmtree(retired, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any]:
    """The validated `config.json` of a model directory (the weights are not read)."""
    path = Path(path)
    if not path.exists():
        kept = _set_aside(path)
        if kept is not None:
            raise ModelFileError(f"{path}: no such model directory, but an interrupted save left the previous model "
                                 f"in {kept}; move it back to {path}")
        raise ModelFileError(f"{path}: no such model directory; train one with `forecaster train DATA --out {path}`")
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
    """The manifest and weight tensors of a model directory, after checking the weights' checksum."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    manifest = read_manifest(path)
    problem = time_problem(manifest)
    if problem:
        raise ModelFileError(f"{path / CONFIG_FILE}: damaged model config, {problem}; retrain the model")
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelFileError(f"{path}: no {WEIGHTS_FILE}; the model directory is incomplete, retrain the model")
    if file_sha256(weights) != manifest["weights_sha256"]:
        raise ModelFileError(
            f"{weights}: checksum mismatch, the weights were changed or damaged after saving; retrain the model"
        )
    try:
        tensors = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights}: not a readable safetensors file ({exc})") from None
    problem = _network_problem(manifest["network"], tensors)
    if problem:
        raise ModelFileError(f"{path}: the model config and weights do not fit together ({problem}); retrain the model")
    return manifest, tensors


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


def check_output(path: Path, force: bool) -> None:
    """Refuse early an output file that exists (without --force), is a directory, or cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; give a file name")
    if path.exists() and not force:
        raise ModelFileError(f"{path}: already exists; pass --force to replace it, or choose another name")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ModelFileError(f"{path}: {parent} is a file, not a folder; choose another name")
    if not parent.is_dir():
        raise ModelFileError(f"{path}: folder {parent} does not exist; create it or choose another name")
    if not os.access(parent, os.W_OK):
        raise ModelFileError(f"{path}: cannot write in {parent}")


def write_atomically(path: Path, write: Callable[[Path], object], force: bool = False) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it over `path`.

    A crash or Ctrl-C mid-write leaves the old file (or nothing), never half a file; a kill -9 leaves
    a hidden `.NAME.PID.*.partial.EXT` file that the next write of `path` removes.
    """
    path = Path(path)
    check_output(path, force)
    try:
        _remove_stale(path)
        handle, name = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".partial" + path.suffix,
                                        dir=path.parent or ".")
        os.close(handle)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write there ({exc.strerror or exc}); choose another name") from exc
    try:
        write(Path(name))
        _public_modes(Path(name))
        os.replace(name, path)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise ModelFileError(f"{path}: could not write it ({exc.strerror or exc}); nothing was changed there; "
                             "free some disk space or choose another name") from exc
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
