"""The model directory: `config.json` + `model.safetensors`, checksummed, written atomically.

Nothing here unpickles: weights are safetensors (plain tensors only) and the
rest is JSON, so a model directory from a stranger cannot run code. Reading the
manifest needs neither torch nor safetensors, which keeps `forecaster info` fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from forecaster.errors import ModelFileError

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
    if path.exists() and not path.is_dir():
        raise ModelFileError(f"{path}: exists and is not a directory; choose another --out")
    if path.exists() and not force:
        raise ModelFileError(f"{path}: a model already exists there; pass --force to replace it, or choose another --out")
    parent = path.parent if str(path.parent) else Path(".")
    parent = next((p for p in (parent, *parent.parents) if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise ModelFileError(f"{path}: cannot write in {parent}; choose another --out")


def save_model(path: Path, manifest: dict[str, Any], tensors: dict[str, Any], force: bool = False) -> None:
    """Write weights and config to a temporary directory beside `path`, then rename it into place."""
    from safetensors.torch import save_file

    path = Path(path)
    check_writable(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        weights = staging / WEIGHTS_FILE
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(weights))
        manifest = {**manifest, "format_version": FORMAT_VERSION, "weights_sha256": file_sha256(weights)}
        (staging / CONFIG_FILE).write_text(json.dumps(manifest, indent=2, allow_nan=True) + "\n")
        _fsync_tree(staging)
        _public_modes(staging)
        _replace_directory(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
    retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.replace(path, retired / path.name)
    os.replace(staging, path)
    shutil.rmtree(retired, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any]:
    """The validated `config.json` of a model directory (the weights are not read)."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model directory; train one with `forecaster train DATA --out {path}`")
    if not path.is_dir():
        raise ModelFileError(f"{path}: not a model directory (expected a folder holding {CONFIG_FILE} and {WEIGHTS_FILE})")
    config_path = path / CONFIG_FILE
    if not config_path.exists():
        raise ModelFileError(f"{path}: no {CONFIG_FILE}; this is not a forecaster model directory")
    try:
        manifest = json.loads(config_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{config_path}: damaged, not valid JSON ({exc}); retrain the model") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise ModelFileError(f"{config_path}: not a forecaster model config (no format_version)")
    version = manifest["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path}: model format {version!r} is newer than this forecaster reads ({FORMAT_VERSION}); "
            "upgrade forecaster"
        )
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise ModelFileError(f"{config_path}: damaged model config, missing {', '.join(missing)}; retrain the model")
    return manifest


def load_model(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and weight tensors of a model directory, after checking the weights' checksum."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    manifest = read_manifest(path)
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
    return manifest, tensors


def check_output(path: Path, force: bool) -> None:
    """Refuse early an output file that exists (without --force), is a directory, or cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; give a file name")
    if path.exists() and not force:
        raise ModelFileError(f"{path}: already exists; pass --force to replace it, or choose another name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ModelFileError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ModelFileError(f"{path}: cannot write in {parent}")


def write_atomically(path: Path, write, force: bool = False) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it over `path`.

    A crash or Ctrl-C mid-write leaves the old file (or nothing), never half a file.
    """
    path = Path(path)
    check_output(path, force)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial" + path.suffix, dir=path.parent or ".")
    os.close(handle)
    try:
        write(Path(name))
        _public_modes(Path(name))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
