"""Where a row of the user's table is, in the user's words: its line in the CSV file, or its position."""

from __future__ import annotations

from pathlib import Path

from forecaster.data.reading import PARQUET_MAGIC


class RowLabeller:
    """Names a row the way the user sees it: a CSV line number, or a DataFrame position.

    With the file's `path`, the line is counted in the file, past the blank lines pandas skips (a Parquet file's
    rows are positions); without it (standard input, read once), line 1 is the header and data position 0 is line 2.
    """

    def __init__(self, from_file: bool, path: Path | None = None) -> None:
        self.from_file = from_file
        self.path = path

    def __call__(self, position: int) -> str:
        line = position + 2 if self.path is None else data_line(self.path, position)
        return f"line {line}" if self.from_file and line is not None else f"row {position}"


def data_line(path: Path, position: int) -> int | None:
    """The line number in the file (1: its first) of data row `position` (0: the row under the header); None for
    a Parquet file, which has no lines, or a file that cannot be read again.

    pandas skips lines that hold only whitespace, before the header too; counted only when a message names a line.
    """
    filled = -1  # the header is the first line that holds something
    try:
        with open(path, "rb") as handle:
            if handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC:
                return None
            handle.seek(0)
            for number, line in enumerate(handle, start=1):
                filled += bool(line.strip())
                if filled == position + 1 and line.strip():
                    return number
    except OSError:
        return None
    return position + 2
