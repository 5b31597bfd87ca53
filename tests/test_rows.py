"""forecaster.data.rows: a row named as the user sees it, its line in the file or its position."""

from __future__ import annotations

import pandas as pd

from forecaster.data.rows import RowLabeller, data_line


def test_rows_are_named_as_file_lines_or_frame_positions():
    assert RowLabeller(from_file=True)(0) == "line 2"  # line 1 is the header
    assert RowLabeller(from_file=False)(0) == "row 0"


def test_data_lines_are_counted_past_the_blank_lines_pandas_skips(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("\ndate,v\n2024-01-01,1\n\n  \n2024-01-02,2\r\n2024-01-03,x\n")
    assert [data_line(path, p) for p in range(3)] == [3, 6, 7]
    assert RowLabeller(True, path)(1) == "line 6"
    frame = pd.DataFrame({"date": ["2024-01-01"], "v": [1.0]})
    frame.to_parquet(tmp_path / "data.parquet")
    assert data_line(tmp_path / "data.parquet", 0) is None  # a Parquet file's rows are positions
