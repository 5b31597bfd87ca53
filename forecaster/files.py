"""Atomic writing: a hidden, locked temporary beside the target, then one atomic rename into place.

Output files (CSV, PNG) go through these steps from `outputs`, model directories from `persistence`.
Temporaries are named `.NAME.PID.xxxx.partial[.ext]` (or `.NAME.PID.xxxx.old` for a directory set aside),
and their writer holds an flock on them while it runs: the kernel drops it when the writer dies, whatever
becomes of its process id, so that a later write can tell a dead writer's leftovers from a write in progress.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock, and then no temporary is ever taken for a dead writer's
    fcntl = None

_AT_FDCWD = -100
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


def _libc_renameat2():
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2  # Linux, glibc 2.28 or later
    except (AttributeError, OSError, TypeError):
        return None


_RENAMEAT2 = _libc_renameat2()


# ------------------------------------------------------------------ temporaries
def parent_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def temporary_prefix(path: Path) -> str:
    # The process id only makes the name unique and tells a person whose it was; the lock tells liveness.
    return f".{path.name}.{os.getpid()}."


@contextlib.contextmanager
def staging_file(path: Path) -> Iterator[Path]:
    """A new hidden temporary file beside `path`, locked while the block runs and removed after it."""
    name, handle = _locked_temporary(path, ".partial" + path.suffix, directory=False)
    try:
        yield name
    finally:
        name.unlink(missing_ok=True)  # already gone once renamed into place
        os.close(handle)


@contextlib.contextmanager
def staging_directory(path: Path) -> Iterator[Path]:
    """A new hidden temporary directory beside `path`, locked while the block runs and removed after it."""
    name, handle = _locked_temporary(path, ".partial", directory=True)
    try:
        yield name
    finally:
        shutil.rmtree(name, ignore_errors=True)  # already gone once renamed into place
        os.close(handle)


def _locked_temporary(path: Path, suffix: str, directory: bool) -> tuple[Path, int]:
    """A new temporary beside `path`, named with `suffix` only once it is locked, and its open handle."""
    # Made under a name no cleaner looks at: another writer must never find it before it is locked.
    if directory:
        made = tempfile.mkdtemp(prefix=temporary_prefix(path), suffix=".new", dir=parent_of(path))
        handle = os.open(made, os.O_RDONLY)
    else:
        handle, made = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".new", dir=parent_of(path))
    try:
        _lock(handle)
        name = Path(made[: -len(".new")] + suffix)
        os.rename(made, name)
    except BaseException:
        os.close(handle)
        remove(Path(made))
        raise
    return name, handle


def _lock(handle: int) -> None:
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def temporaries(path: Path) -> list[Path]:
    """Temporaries of `path` (`.NAME.PID.xxxx.partial[.ext]`, `.NAME.PID.xxxx.old`) whose writer is dead."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"\d+\.\w+\.(?:partial|old)(?:\.\w+)?")
    parent = parent_of(path)
    if not parent.is_dir():
        return []
    return [entry for entry in parent.iterdir() if pattern.fullmatch(entry.name) and not in_use(entry)]


def in_use(entry: Path) -> bool:
    """Whether a live writer holds `entry` (or it cannot be told: then it is kept)."""
    if fcntl is None:
        return True
    try:
        if not (entry.is_file() or entry.is_dir()) or entry.is_symlink():
            return True  # never ours: forecaster's temporaries are plain files and folders
        # O_NONBLOCK: a FIFO planted under such a name must not hang the writer that finds it.
        handle = os.open(entry, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(handle)
    return False


def remove_stale_files(path: Path) -> None:
    """Delete the temporary files that dead writers of `path` left behind (killed mid-write)."""
    for entry in temporaries(path):
        if entry.is_file():
            entry.unlink(missing_ok=True)


# ------------------------------------------------------------------ the final step
def place(staged: Path, target: Path, replace: bool, check_replaced: Callable[[Path], None]) -> None:
    """Rename `staged` (a file or a directory) to `target` in one atomic step.

    Without `replace` it fails with FileExistsError when `target` exists. With it, an existing target is
    swapped out; `check_replaced` gets what was there and may refuse it by raising, which puts it back.
    """
    # renameat2: NOREPLACE fails if the target exists; EXCHANGE swaps a whole directory in at once.
    with deferred_signals():
        if not (replace and _swap(staged, target, check_replaced)):
            _rename_new(staged, target)
        fsync_directory(parent_of(target))


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver them: a swap is never left half done."""
    # Handlers swapped rather than pthread_sigmask: a signal that torch's threads take still runs the handler.
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can set handlers; Python delivers signals to it alone anyway
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, frame: received.append(number)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(received):
            signal.raise_signal(number)


def _rename_new(staged: Path, target: Path) -> None:
    """Rename onto a name that must not exist (FileExistsError otherwise), atomically where the system can."""
    if _renameat2(staged, target, _RENAME_NOREPLACE):
        return
    if staged.is_dir():
        os.mkdir(target)  # the claim: only one writer can make it; rename(2) may then replace an empty folder
        try:
            os.rename(staged, target)
        except BaseException:
            os.rmdir(target)
            raise
        return
    try:
        os.link(staged, target)  # a hard link fails when the name exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: a check, then the rename
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(staged, target)
        return
    staged.unlink()


def _swap(staged: Path, target: Path, check_replaced: Callable[[Path], None]) -> bool:
    """Put `staged` at `target` in place of what is there; False when nothing is there."""
    try:
        exchanged = _renameat2(staged, target, _RENAME_EXCHANGE)
    except FileNotFoundError:
        return False
    if not exchanged:
        return _swap_in_two_steps(staged, target, check_replaced)
    try:
        check_replaced(staged)  # what was at `target` is now at the staged name
    except BaseException:
        _renameat2(staged, target, _RENAME_EXCHANGE)
        raise
    remove(staged)
    return True


def _swap_in_two_steps(staged: Path, target: Path, check_replaced: Callable[[Path], None]) -> bool:
    """`_swap` where renameat2 is missing: readers may find no `target` for a moment."""
    if not os.path.lexists(target):
        return False
    if not staged.is_dir():  # a file is renamed over a file atomically anyway
        check_replaced(target)
        os.replace(staged, target)
        return True
    # A non-empty directory cannot be renamed over: set the old one aside in a locked holder first,
    # where a save killed between the two renames leaves it for the user to find.
    with _set_aside_holder(target) as holder:
        aside = holder / target.name
        try:
            os.replace(target, aside)
        except FileNotFoundError:
            return False
        try:
            check_replaced(aside)
        except BaseException:
            os.replace(aside, target)
            raise
        os.replace(staged, target)
        remove(holder)
    return True


@contextlib.contextmanager
def _set_aside_holder(target: Path) -> Iterator[Path]:
    name, handle = _locked_temporary(target, ".old", directory=True)
    try:
        yield name
    finally:
        with contextlib.suppress(OSError):
            name.rmdir()  # only when empty: never the old model that a failed step left in it
        os.close(handle)


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux's renameat2 with `flags`; False where the system or the file system does not offer it."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ------------------------------------------------------------------ modes and durability
def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_modes(path: Path) -> None:
    """Give a staged file or directory the modes a plain open/mkdir would (mkstemp/mkdtemp make them private)."""
    mask = _umask()
    path.chmod(0o777 & ~mask if path.is_dir() else 0o666 & ~mask)
    if path.is_dir():
        for child in path.iterdir():
            child.chmod(0o666 & ~mask)


def fsync(path: Path) -> None:
    """Flush a file, or every file of a directory, to disk before it is renamed into place."""
    for child in path.iterdir() if path.is_dir() else (path,):
        with open(child, "rb") as handle:
            os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    # The rename itself is durable only once its folder is flushed; not every system can open a folder.
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
