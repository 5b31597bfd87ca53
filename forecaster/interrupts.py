"""One way to be interrupted: SIGINT and SIGTERM stop training alike, and never cost what it learned.

While `guarded()` is active (the CLI's `train` holds it from reading the data to writing the model):
- inside an epoch, or before training has produced any weights, a signal raises `Interrupted` (a
  KeyboardInterrupt): the epoch loop catches it and keeps the best epoch so far, and before the first
  epoch there is nothing to keep;
- once weights exist, outside the epochs (error scales, validation, writing the model), a signal is
  only noted, so that the work ends with the model saved; only a second Ctrl-C raises at once. A
  repeated SIGTERM does not: launchers and schedulers send it to every process and again through
  torchrun, and they escalate with SIGKILL anyway.
The exit code is 128 plus the first signal's number: 130 for Ctrl-C, 143 for SIGTERM. Without a guard
(the library on its own) nothing changes: Ctrl-C raises KeyboardInterrupt wherever it lands.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A signal stopped the work; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Guard:
    """What the signals of one guarded run did, and whether a signal may stop the work right now."""

    def __init__(self, on_held: Callable[[int], None] | None = None) -> None:
        self.received: list[int] = []  # every signal, in order of arrival
        self.holding = False  # weights exist: outside an epoch, a signal waits until they are saved
        self._epochs = 0  # depth of `stoppable` sections: there a signal stops the epoch loop
        self._on_held = on_held

    @property
    def exit_code(self) -> int:
        """128 + the first signal's number (130 when none came: a KeyboardInterrupt raised by other means)."""
        return 128 + (self.received[0] if self.received else signal.SIGINT)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.received[0]).name if self.received else "SIGINT"

    def hold(self) -> None:
        """Training has weights worth saving: from now on a signal outside an epoch only gets noted."""
        self.holding = True

    @contextmanager
    def stoppable(self) -> Iterator[None]:
        """A section the epoch loop can stop in; a signal noted before it stops it on entry."""
        if self.received:
            raise Interrupted(self.received[0])
        self._epochs += 1
        try:
            yield
        finally:
            self._epochs -= 1

    def _handle(self, signum: int, frame: object) -> None:
        self.received.append(signum)
        insisted = signum == signal.SIGINT and len(self.received) > 1  # a person pressed Ctrl-C again
        if self.holding and not self._epochs and not insisted:
            if self._on_held is not None:
                self._on_held(signum)
            return
        raise Interrupted(signum)


_active: Guard | None = None


def current() -> Guard:
    """The active guard; outside `guarded()` a detached one, whose notes change nothing."""
    return _active if _active is not None else Guard()


@contextmanager
def guarded(on_held: Callable[[int], None] | None = None) -> Iterator[Guard]:
    """Route SIGINT and SIGTERM through one `Guard` for the duration; `on_held(signum)` hears a held signal.

    `on_held` runs inside the signal handler: it must only write with os.write, never through a buffered stream.
    """
    global _active
    if _active is not None or threading.current_thread() is not threading.main_thread():
        yield current()  # signal handlers belong to the main thread; a nested guard is the outer one
        return
    guard = Guard(on_held)
    previous = {signum: signal.signal(signum, guard._handle) for signum in SIGNALS}
    _active = guard
    try:
        yield guard
    finally:
        _active = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)
