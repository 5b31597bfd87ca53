"""Text from files, made safe to show: control characters made visible.

A data file or a model's config.json may come from a stranger, and its column names, series ids and
versions reach the terminal in tables and messages. A terminal obeys escape sequences in what it
prints (clear the screen, retitle the window, write the clipboard with OSC 52), so every such text is
passed through `visible` first. Only the standard library is used: `info` and error messages stay fast.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline too: a table cell or a one-line message has no use for them), DEL, C1
# controls, and the bidirectional overrides that make text read differently from what it holds.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character written as its Python escape (ESC becomes the four characters \\x1b)."""
    return _CONTROL.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), text)
