"""Text from files, made safe to show: control characters made visible, bytes located by line.

A data file or a model's config.json may come from a stranger, and its column names, series ids and
versions reach the terminal in tables and messages. A terminal obeys escape sequences in what it
prints (clear the screen, retitle the window, write the clipboard with OSC 52), so every such text is
passed through `visible` first. Only the standard library is used: `info` and error messages stay fast.
"""

from __future__ import annotations

import codecs
import re

# C0 controls (tab and newline too: a table cell or a one-line message has no use for them), DEL, C1
# controls, and the bidirectional overrides that make text read differently from what it holds.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character written as its Python escape (ESC becomes the four characters \\x1b)."""
    return _CONTROL.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), text)


def line_of_byte(data: bytes, offset: int) -> int:
    """The 1-based line of `data` that holds the byte at `offset` (as a text editor counts lines)."""
    return data.count(b"\n", 0, max(offset, 0)) + 1


def undecodable_line(data: bytes) -> int | None:
    """The line of the first byte in `data` that is not UTF-8 (a byte-order mark allowed); None when all is."""
    body = data.removeprefix(codecs.BOM_UTF8)  # "utf-8-sig" would count offsets from after the mark
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return line_of_byte(body, exc.start)
    return None
