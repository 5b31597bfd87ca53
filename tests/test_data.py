"""forecaster.data: files of every supported shape become clean series, bad files a clear DataError."""

import json

import numpy as np
import pandas as pd
import pytest

from forecaster.config import Config
from forecaster.data import MinLength, Schema, load_series, series_from_frame
from forecaster.data.reading import SNIFF_BYTES, read_table
from forecaster.errors import DataError
from forecaster.data.timeaxis import season_of

from conftest import days, load, refusal, write


def values(data, series_id: str) -> list[float]:
    return next(s for s in data.series if s.id == series_id).values.tolist()


def dated_file(times: pd.DatetimeIndex, column: str = "value") -> str:
    """A wide CSV with one row per timestamp, valued 1, 2, 3, ... in row order."""
    rows = "".join(f"{t.isoformat(sep=' ')},{i + 1}\n" for i, t in enumerate(times))
    return f"date,{column}\n{rows}"


# --- layouts ---


def test_wide_file_with_one_value_column_is_one_series(tmp_path):
    data = load(tmp_path, "date,sales\n2024-01-01,1.5\n2024-01-02,2\n2024-01-03,4\n")
    assert data.ids == ["sales"]
    assert values(data, "sales") == [1.5, 2.0, 4.0]
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-02", "2024-01-03")
    assert data.schema == Schema("wide", "date", None, ["sales"], "D")


def test_wide_file_gives_one_series_per_value_column(tmp_path):
    data = load(tmp_path, "date,a,b\n2024-01-01,1,10\n2024-01-02,2,20\n2024-01-03,3,30\n")
    assert data.ids == ["a", "b"]
    assert values(data, "a") == [1.0, 2.0, 3.0]
    assert values(data, "b") == [10.0, 20.0, 30.0]
    assert all(len(s) == 3 for s in data.series)


def test_target_selects_value_columns_in_the_order_given(tmp_path):
    text = "date,a,b,c\n2024-01-01,1,10,100\n2024-01-02,2,20,200\n2024-01-03,3,30,300\n"
    data = load(tmp_path, text, target=["c", "a"])
    assert data.ids == ["c", "a"]
    assert data.schema.targets == ["c", "a"]
    assert values(data, "c") == [100.0, 200.0, 300.0]


def test_long_file_gives_one_series_per_id(tmp_path):
    text = "unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,2\nA,2024-01-03,3\nB,2024-01-01,7\nB,2024-01-02,8\n"
    data = load(tmp_path, text)
    assert data.schema == Schema("long", "ds", "unique_id", ["y"], "D")
    assert data.ids == ["A", "B"]
    assert values(data, "A") == [1.0, 2.0, 3.0]
    assert values(data, "B") == [7.0, 8.0]
    assert list(data.series[1].time) == days("2024-01-01", "2024-01-02")


def test_long_file_with_custom_column_names(tmp_path):
    rows = [("s1", 1, 5), ("s2", 1, 50), ("s1", 2, 6), ("s2", 2, 60), ("s1", 3, 7), ("s2", 3, 70)]
    text = "store,day,sales,price\n" + "".join(f"{s},2024-01-0{d},{v},9\n" for s, d, v in rows)
    data = load(tmp_path, text, id_col="store", time_col="day", target=["sales"])
    assert data.schema == Schema("long", "day", "store", ["sales"], "D")
    assert data.ids == ["s1", "s2"]
    assert values(data, "s1") == [5.0, 6.0, 7.0]
    assert values(data, "s2") == [50.0, 60.0, 70.0]


def test_long_file_with_numeric_ids_names_series_by_text(tmp_path):
    data = load(tmp_path, "unique_id,ds,y\n7,2024-01-01,1\n7,2024-01-02,2\n7,2024-01-03,3\n")
    assert data.ids == ["7"]


def test_file_without_time_column_uses_row_order_as_integer_steps(tmp_path):
    data = load(tmp_path, "load\n3\n1\n4\n1\n")
    assert data.schema == Schema("wide", None, None, ["load"], "steps")
    assert list(data.series[0].time) == [0, 1, 2, 3]
    assert values(data, "load") == [3.0, 1.0, 4.0, 1.0]
    assert season_of(data.schema.freq) == 1


def test_integer_time_column_is_a_step_axis_with_gaps_inserted(tmp_path):
    data = load(tmp_path, "time,v\n2,1\n4,2\n8,4\n")
    assert data.schema.time_col == "time"
    assert data.schema.freq == "steps"
    assert list(data.series[0].time) == [2, 4, 6, 8]
    assert values(data, "v") == [1.0, 2.0, 3.0, 4.0]
    assert data.inserted == 1


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = "date,a,b\n2024-01-01,1.5,10\n2024-01-02,2.5,20\n2024-01-03,3.5,30\n".replace(",", delimiter)
    data = load(tmp_path, text)
    assert data.ids == ["a", "b"]
    assert values(data, "a") == [1.5, 2.5, 3.5]


def test_read_table_returns_the_raw_frame(tmp_path):
    frame = read_table(write(tmp_path, "date;a\n2024-01-01;1\n2024-01-02;2\n"))
    assert frame.columns.tolist() == ["date", "a"]
    assert frame["a"].tolist() == [1, 2]


def test_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    data = load(tmp_path, "\ufeffdate,a\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    assert data.schema.time_col == "date"


def test_multibyte_character_cut_by_the_sniff_sample_is_still_utf8(tmp_path):
    body = "".join(f"{t.date()},{i},é\n" for i, t in enumerate(pd.date_range("2000-01-01", periods=5000)))
    # Pad the header until the sniffed sample ends on the first of the two bytes of an "é".
    padded = (f"date,a,note{' ' * pad}\n{body}".encode() for pad in range(20))
    encoded = next(e for e in padded if e[SNIFF_BYTES - 1] == 0xC3)
    path = tmp_path / "accents.csv"
    path.write_bytes(encoded)
    data = load_series(path, Config(target=["a"]))
    assert len(data.series[0]) == 5000


def test_parquet_file_is_read_with_its_datetime_column(tmp_path):
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=4, freq="h"), "kw": [1.0, 2.0, 3.0, 4.0]})
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    data = load_series(path, Config())
    assert data.schema == Schema("wide", "when", None, ["kw"], "h")
    assert values(data, "kw") == [1.0, 2.0, 3.0, 4.0]


def test_parquet_file_keeps_its_date_index_as_the_time(tmp_path):
    path = tmp_path / "indexed.parquet"
    pd.DataFrame({"v": [1.0, 2.0, 4.0]}, index=pd.date_range("2024-01-01", periods=3, freq="D", name="day")).to_parquet(path)
    data = load_series(path, Config())
    assert (data.schema.time_col, data.schema.targets, data.schema.freq) == ("day", ["v"], "D")
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-02", "2024-01-03")


def test_damaged_parquet_file_is_refused(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_series(path, Config())


def test_unknown_time_col_names_it_and_lists_the_columns(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n", time_col="when")
    assert "'when'" in message and "date, v" in message and "`time_col`" in message


# --- frequency ---


@pytest.mark.parametrize(
    ("alias", "expected", "season"),
    [("h", "h", 24), ("D", "D", 7), ("W-MON", "W-MON", 52), ("MS", "MS", 12), ("ME", "ME", 12)],
)
def test_frequency_is_inferred_despite_a_gap(tmp_path, alias, expected, season):
    times = pd.date_range("2024-01-01", periods=8, freq=alias).delete(3)
    data = load(tmp_path, dated_file(times))
    assert data.schema.freq == expected
    assert season_of(data.schema.freq) == season
    assert data.inserted == 1
    assert len(data.series[0]) == 8


def test_quarterly_frequency_with_a_gap_keeps_the_data_months(tmp_path):
    times = pd.date_range("2020-02-01", periods=8, freq="QS-FEB").delete(3)
    data = load(tmp_path, dated_file(times))
    assert season_of(data.schema.freq) == 4
    assert list(data.series[0].time) == list(pd.date_range("2020-02-01", periods=8, freq="QS-FEB"))


def test_every_other_day_is_inferred_as_two_days(tmp_path):
    data = load(tmp_path, dated_file(pd.date_range("2024-01-01", periods=4, freq="2D")))
    assert data.schema.freq == "2D"
    assert data.inserted == 0


def test_freq_setting_overrides_inference_and_fills_the_finer_grid(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,1\n2024-01-03,3\n2024-01-05,5\n", freq="D")
    assert data.schema.freq == "D"
    assert values(data, "v") == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert (data.inserted, data.filled) == (2, 2)


def test_too_few_timestamps_to_infer_a_frequency_is_refused(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n")
    assert "data.csv" in message and "`freq`" in message


def test_unknown_freq_setting_is_refused(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n", freq="fortnightly")
    assert "`freq` 'fortnightly'" in message


# --- gaps and filling ---


def test_missing_timestamp_is_inserted_and_interpolated(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-04,8\n")
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04")
    assert values(data, "v") == [1.0, 2.0, 5.0, 8.0]
    assert (data.inserted, data.filled) == (1, 1)


def test_interpolation_is_linear_and_empty_edges_are_left_out(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,\n2024-01-02,2\n2024-01-03,\n2024-01-04,\n2024-01-05,8\n2024-01-06,\n")
    assert values(data, "v") == [2.0, 4.0, 6.0, 8.0]
    assert list(data.series[0].time) == days("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05")
    assert (data.inserted, data.filled) == (0, 2)


@pytest.mark.parametrize(("fill", "expected"), [("ffill", [2.0, 2.0, 2.0, 8.0]), ("zero", [2.0, 0.0, 0.0, 8.0])])
def test_fill_methods(tmp_path, fill, expected):
    data = load(tmp_path, "date,v\n2024-01-01,\n2024-01-02,2\n2024-01-03,\n2024-01-05,8\n2024-01-06,\n", fill=fill)
    assert values(data, "v") == expected
    assert (data.inserted, data.filled) == (1, 2)


def test_fill_error_names_the_series_and_the_first_missing_timestamp(tmp_path):
    message = refusal(tmp_path, "date,a,b\n2024-01-01,1,1\n2024-01-02,2,\n2024-01-03,3,3\n", fill="error")
    assert "data.csv" in message and "'b'" in message and "2024-01-02" in message and "`fill`" in message


def test_fill_error_refuses_an_inserted_timestamp_too(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-04,4\n", fill="error")
    assert "2024-01-03" in message


def test_counts_add_up_over_all_series(tmp_path):
    a_rows = "A,2024-01-01,1\nA,2024-01-03,3\nA,2024-01-04,4\n"  # 2024-01-02 is missing
    b_rows = "B,2024-01-01,1\nB,2024-01-02,\nB,2024-01-03,3\n"  # its value is missing
    text = "unique_id,ds,y\n" + a_rows + b_rows
    data = load(tmp_path, text)
    assert values(data, "A") == [1.0, 2.0, 3.0, 4.0]
    assert values(data, "B") == [1.0, 2.0, 3.0]
    assert (data.inserted, data.filled) == (1, 2)


def test_clean_file_reports_nothing_filled(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    assert (data.inserted, data.filled) == (0, 0)


# --- order and schema ---


def test_unsorted_rows_are_sorted_by_time(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-03,3\n2024-01-01,1\n2024-01-04,4\n2024-01-02,2\n")
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04")
    assert values(data, "v") == [1.0, 2.0, 3.0, 4.0]


def test_interleaved_long_rows_are_sorted_per_series(tmp_path):
    text = "unique_id,ds,y\nB,2024-01-02,20\nA,2024-01-03,3\nA,2024-01-01,1\nB,2024-01-01,10\nA,2024-01-02,2\n"
    data = load(tmp_path, text)
    assert data.ids == ["B", "A"]
    assert values(data, "A") == [1.0, 2.0, 3.0]
    assert values(data, "B") == [10.0, 20.0]


def test_saved_schema_reads_a_later_file_the_same_way(tmp_path):
    trained = load(tmp_path, "date,a,b,note\n2024-01-01,1,10,x\n2024-01-02,2,20,y\n2024-01-03,3,30,z\n", target=["b"])
    saved = Schema.from_dict(json.loads(json.dumps(trained.schema.to_dict())))
    later = write(tmp_path, "note,b,date\nq,40,2024-01-04\nr,60,2024-01-06\n", "later.csv")
    data = load_series(later, Config(), schema=saved)
    assert data.schema == trained.schema
    assert values(data, "b") == [40.0, 50.0, 60.0]


def test_saved_schema_for_long_data_is_reproduced(tmp_path):
    text = "unique_id,ds,y\nA,2024-01-01 00:00,1\nA,2024-01-01 01:00,2\nA,2024-01-01 02:00,3\n"
    first = load(tmp_path, text)
    again = load_series(write(tmp_path, text, "again.csv"), Config(), schema=first.schema)
    assert again.schema == first.schema == Schema("long", "ds", "unique_id", ["y"], "h")


def test_saved_schema_names_a_column_the_later_file_lacks(tmp_path):
    schema = Schema("wide", "date", None, ["load"], "D")
    with pytest.raises(DataError, match="no column 'load'; the columns are date, kw"):
        load_series(write(tmp_path, "date,kw\n2024-01-01,1\n"), Config(), schema=schema)


def test_frame_errors_name_the_row_position_not_a_file_line():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02", "2024-01-03"], "v": ["1", "x", "3"]})
    with pytest.raises(DataError, match="'x' at row 1"):
        series_from_frame(frame, Config(target=["v"]), source="frame")


# --- refusals ---


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="nothing.csv: no such file"):
        load_series(tmp_path / "nothing.csv", Config())


def test_directory_is_refused(tmp_path):
    with pytest.raises(DataError, match="is a directory, expected a CSV or Parquet file"):
        load_series(tmp_path, Config())


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_file_is_refused(tmp_path, text):
    message = refusal(tmp_path, text)
    assert "data.csv" in message and "empty" in message and "header row" in message


def test_header_only_file_is_refused(tmp_path):
    message = refusal(tmp_path, "date,v\n")
    assert "data.csv" in message and "no data rows" in message


def test_binary_content_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"date,v\x00\x01\x02\x00\x00\n")
    with pytest.raises(DataError, match="data.csv: binary content, not a CSV file"):
        load_series(path, Config())


def test_binary_garbage_is_refused_as_not_text(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(DataError, match="data.csv: not a UTF-8 text file"):
        load_series(path, Config())


def test_non_utf8_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("date,café\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"data.csv: not a UTF-8 text file; save it as UTF-8 CSV \(or Parquet\)"):
        load_series(path, Config())


@pytest.mark.parametrize("settings", [{"target": ["a"]}, {}])
def test_text_in_a_value_column_names_column_line_and_value(tmp_path, settings):
    message = refusal(tmp_path, "date,a,b\n2024-01-01,1,1\n2024-01-02,abc,2\n2024-01-03,3,3\n", **settings)
    assert "data.csv" in message and "column 'a'" in message and "'abc' at line 3" in message


def test_text_in_a_long_value_column_names_its_line(tmp_path):
    message = refusal(tmp_path, "unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,2\nA,2024-01-03,n/a!\n")
    assert "column 'y'" in message and "'n/a!' at line 4" in message


@pytest.mark.parametrize("cell", ["inf", "-inf"])
def test_infinite_value_is_refused_at_its_line(tmp_path, cell):
    message = refusal(tmp_path, f"date,v\n2024-01-01,1\n2024-01-02,{cell}\n2024-01-03,3\n")
    assert "column 'v'" in message and "infinite value at line 3" in message


def test_duplicate_timestamp_is_named(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n2024-01-03,4\n")
    assert "series 'v'" in message and "2024-01-02" in message and "more than once" in message
    # A long file whose id column has another name than unique_id repeats every date: the fix is to name it.
    assert message.endswith("if the file holds several series one under another, name their id column with `id_col`")


def test_a_comma_that_may_separate_thousands_is_refused_naming_both_readings(tmp_path):
    message = refusal(tmp_path, 'date,v\n2024-01-01,"1,000"\n2024-01-02,"1,079"\n2024-01-03,961\n')
    assert "column 'v' has '1,000' at line 2, which is not a number (2 such); set `thousands` , if the comma " \
           "separates thousands, or `decimal` , if it is a decimal comma" in message


@pytest.mark.parametrize("minus", ["\u2212", "\u2013"])
def test_a_typographic_minus_is_refused_naming_it(tmp_path, minus):
    message = refusal(tmp_path, f"date,v\n2024-01-01,{minus}3\n2024-01-02,2\n2024-01-03,1\n")
    assert message.endswith(f"column 'v' has '{minus}3' at line 2, which is not a number (1 such); write its minus "
                            "as '-': a typographic minus or dash ('−', '–') is no minus sign to pandas")


def test_an_empty_column_without_a_name_is_not_a_series(tmp_path):
    # A separator at the end of every line, header included, as some exports write them.
    data = load(tmp_path, "date,v,\n2024-01-01,1,\n2024-01-02,2,\n2024-01-03,3,\n")
    assert data.schema.targets == ["v"] and values(data, "v") == [1.0, 2.0, 3.0]


def test_timestamp_off_the_frequency_grid_is_refused(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-02 06:00,3\n2024-01-03,4\n", freq="D")
    assert "series 'v'" in message and "2024-01-02 06:00:00" in message and "'D' grid" in message


def test_unknown_target_names_it_and_lists_the_columns(tmp_path):
    message = refusal(tmp_path, "date,a,b\n2024-01-01,1,2\n", target=["sales"])
    assert "'sales'" in message and "the columns are date, a, b" in message and "`target`" in message


def test_long_file_with_two_targets_is_refused(tmp_path):
    message = refusal(tmp_path, "unique_id,ds,y,z\nA,2024-01-01,1,2\n", target=["y", "z"])
    assert "long format takes one `target` column, got y, z" in message


def test_all_missing_series_is_refused(tmp_path):
    message = refusal(tmp_path, "date,a,b\n2024-01-01,1,\n2024-01-02,2,\n2024-01-03,3,\n")
    assert "series 'b' has no values at all" in message


def test_file_without_any_value_column_is_refused(tmp_path):
    message = refusal(tmp_path, "date,region\n2024-01-01,north\n2024-01-02,south\n")
    assert "no numeric value column found among date, region" in message and "`target`" in message


def test_boolean_columns_are_not_taken_as_targets(tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text("date,sales,holiday\n2024-01-01,1,True\n2024-01-02,2,False\n2024-01-03,3,False\n2024-01-04,4,True\n")
    loaded = load_series(path, Config())
    assert loaded.schema.targets == ["sales"]


# --- column roles: read the way a person reads the table ---


def numbered(rows: list[str], header: str) -> str:
    return header + "\n" + "".join(f"{row}\n" for row in rows)


def test_a_leading_unnamed_column_that_holds_the_dates_is_the_time(tmp_path):
    frame = pd.DataFrame({"a": [3.0, 1.0, 4.0], "b": [1.0, 5.0, 9.0]}, index=pd.date_range("2024-01-01", periods=3))
    path = tmp_path / "dated.csv"
    frame.to_csv(path)  # the unnamed index holds the dates: it is the time column
    data = load_series(path, Config())
    assert (data.schema.time_col, data.schema.targets, data.schema.freq) == ("Unnamed: 0", ["a", "b"], "D")
    assert data.notes == ["time column 'Unnamed: 0' (its cells read as dates); series 'a', 'b' (every numeric "
                          "column; choose with `target`)"]


def test_an_empty_header_index_is_ignored_and_said(tmp_path):
    data = load(tmp_path, numbered([f"{i},2024-01-0{i + 1},{v}" for i, v in enumerate([5, 3, 8, 1])], ",date,v"))
    assert (data.schema.targets, data.schema.time_col) == (["v"], "date")
    assert data.notes == ["ignored 'Unnamed: 0' (row index)"]


def test_years_with_a_gap_are_a_yearly_axis_with_the_year_inserted(tmp_path):
    data = load(tmp_path, numbered(["1990,1", "1991,2", "1993,4"], "Year,v"))
    assert data.schema == Schema("wide", "Year", None, ["v"], "YS-JAN", time_parts=["Year"])
    assert list(data.series[0].time) == days("1990-01-01", "1991-01-01", "1992-01-01", "1993-01-01")
    assert values(data, "v") == [1.0, 2.0, 3.0, 4.0]
    assert data.notes == ["time column 'Year' (integer years, yearly)"]


@pytest.mark.parametrize("name", ["Jahr", "Année", "año"])
def test_years_named_in_another_language_are_the_yearly_axis(tmp_path, name):
    # Before, 'Jahr' with a gap became a series (2024.19 forecast), and without one was ignored as a row counter.
    data = load(tmp_path, numbered(["1990,1", "1991,2", "1993,4"], f"{name},v"))
    assert data.schema.time_col == name and data.schema.freq == "YS-JAN" and data.schema.targets == ["v"]


def test_years_on_several_rows_without_a_quarter_or_month_are_refused(tmp_path):
    message = refusal(tmp_path, numbered(["2020,1", "2020,2", "2021,3", "2021,4"], "year,v"))
    assert "column 'year' holds whole years, some of them on several rows" in message and "`time_col`" in message


def test_years_beyond_what_a_timestamp_holds_stay_integer_steps(tmp_path):
    data = load(tmp_path, numbered([f"{1600 + i},{v}" for i, v in enumerate([5, 3, 8, 1])], "year,v"))
    assert (data.schema.time_col, data.schema.time_parts, data.schema.freq) == ("year", [], "steps")
    assert list(data.series[0].time) == [1600, 1601, 1602, 1603]
    assert data.notes == ["time column 'year' (integer years, as steps)"]


def test_a_long_file_with_a_year_column_has_yearly_series(tmp_path):
    data = load(tmp_path, numbered(["A,2000,1", "A,2001,2", "A,2002,3", "B,2001,7", "B,2002,8", "B,2003,9"],
                                   "unique_id,year,y"))
    assert (data.schema.layout, data.schema.freq, data.ids) == ("long", "YS-JAN", ["A", "B"])
    assert list(data.series[1].time) == days("2001-01-01", "2002-01-01", "2003-01-01")


def test_a_table_of_years_by_months_is_one_monthly_series(tmp_path):
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    rows = [f"{year}," + ",".join(str(year % 100 + m / 100) for m in range(12)) + ",1" for year in (1990, 1991)]
    rows.append("1992,7,8," + "," * 9 + ",1")  # the months to come are empty
    header = "YEAR," + ",".join(months) + ",Annual"
    data = load(tmp_path, numbered(rows, header))
    assert (data.ids, data.schema.freq, data.schema.time_parts) == (["value"], "MS", ["YEAR", *months])
    assert len(data.series[0]) == 26 and data.series[0].time[-1] == pd.Timestamp("1992-02-01")
    assert values(data, "value")[:2] == [90.0, 90.01] and values(data, "value")[-3:] == [91.11, 7.0, 8.0]
    assert data.notes[0] == ("time column 'YEAR' with a column per month ('Jan' to 'Dec'), read as one monthly series "
                             "'value'; ignored 'Annual' (beside the month columns)")
    rows[1] = rows[1].replace("91.04", "oops")
    assert "has 'oops' at line 3, column 'May'" in refusal(tmp_path, numbered(rows, header))
    rows[1] = rows[1].replace("oops", "91.04")
    assert load(tmp_path, numbered(rows, header), covariates=["Annual"]).ids == months  # no room for covariates


def test_a_saved_year_and_month_schema_refuses_a_month_out_of_range(tmp_path):
    schema = Schema("wide", "year", None, ["v"], "MS", time_parts=["year", "month"])
    path = write(tmp_path, numbered(["2024,11,1", "2024,12,2", "2024,13,3"], "year,month,v"))
    with pytest.raises(DataError, match=r"column 'month' has 13 at line 4, not a whole number from 1 to 12"):
        load_series(path, Config(), schema=schema)
    with pytest.raises(DataError, match=r"no column 'month'"):
        load_series(write(tmp_path, "year,v\n2024,1\n"), Config(), schema=schema)


def test_a_counter_is_a_series_when_it_is_the_only_one(tmp_path):
    data = load(tmp_path, numbered([str(i) for i in range(1, 13)], "count"))
    assert data.schema.targets == ["count"] and data.notes == []


def test_a_value_column_that_rises_by_one_is_kept_when_named_as_target(tmp_path):
    rows = [f"{i},{i * 3 % 5}" for i in range(12)]
    assert load(tmp_path, numbered(rows, "n,v")).schema.targets == ["v"]
    assert load(tmp_path, numbered(rows, "n,v"), target=["n", "v"]).schema.targets == ["n", "v"]


# --- each series from its first to its last value ---


def test_blank_rows_at_the_end_of_a_file_are_dropped_and_said(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n,\n,\n")
    assert values(data, "v") == [1.0, 2.0, 3.0]
    assert data.notes == ["ignored the 2 empty rows at the end"]
    assert "every cell is empty" in refusal(tmp_path, "date,v\n,\n,\n")


def test_empty_edges_are_not_missing_values_even_for_fill_error(tmp_path):
    data = load(tmp_path, "date,a,b\n2024-01-01,1,\n2024-01-02,2,5\n2024-01-03,3,6\n2024-01-04,4,\n", fill="error")
    assert values(data, "b") == [5.0, 6.0]
    assert list(data.series[1].time) == days("2024-01-02", "2024-01-03")
    assert data.notes[0] == "series 'a', 'b' (every numeric column; choose with `target`)"
    assert data.notes[1:] == ["each series runs from its first to its last value; empty target cells around it are not "
                          "data and were not filled: 'b' starts 2024-01-02 (1 empty rows before it) and ends "
                          "2024-01-03 (1 empty rows after it)"]


def test_the_rows_for_future_covariates_are_not_called_empty(tmp_path):
    text = "date,v,promo\n2024-01-01,1,0\n2024-01-02,2,1\n2024-01-03,3,0\n2024-01-04,,1\n2024-01-05,,0\n"
    data = load(tmp_path, text, future_covariates=["promo"])
    assert values(data, "v") == [1.0, 2.0, 3.0]
    assert data.series[0].future.tolist() == [[1.0], [0.0]]
    assert data.notes == []


def test_many_series_cut_are_counted_in_one_note(tmp_path):
    rows = [f"{k},2024-01-0{d},{'' if d == 4 else d}" for k in "ABCDEFG" for d in (1, 2, 3, 4)]
    data = load(tmp_path, numbered(rows, "unique_id,ds,y"))
    assert all(len(s) == 3 for s in data.series)
    [note] = data.notes
    assert note.endswith("'E' ends 2024-01-03 (1 empty rows after it) and 2 more series")


def test_series_shorter_than_training_needs_are_refused_before_they_are_built(tmp_path):
    rows = ["A,2024-01-01,1", "A,2024-01-05,5", "B,2024-01-01,1", "B,2024-01-02,2", "B,2024-01-03,3"]
    path = write(tmp_path, numbered(rows, "unique_id,ds,y"))
    def needs(steps: int) -> MinLength:
        return MinLength(steps, lambda source, series, n: f"{source}: {series!r} has {n}; add rows")

    assert [len(s) for s in load_series(path, Config(), needs=needs(3)).series] == [5, 3]  # a gap's steps count
    with pytest.raises(DataError, match=r"'B' has 3 \(1 of 2 series have fewer than 4 steps\); add rows$"):
        load_series(path, Config(), needs=needs(4))


# --- what the loader says it fixed ---


def test_a_clean_file_has_no_notes_or_warnings(tmp_path):
    data = load(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    assert (data.notes, data.warnings) == ([], [])


def test_sorting_and_utc_conversion_are_noted(tmp_path):
    text = "date,v\n2024-03-31T03:00+02:00,3\n2024-03-31T00:00+01:00,1\n2024-03-31T01:00+01:00,2\n"
    data = load(tmp_path, text)
    assert data.notes == [
        "converted the timestamps of column 'date', which have different UTC offsets, to UTC",
        "sorted the rows by column 'date' (they were out of order)",
    ]


def test_mostly_filled_series_are_warned_about_together(tmp_path):
    rows = "".join(f"2024-01-0{d},{d * d},{d if d in (1, 7) else ''},{d if d in (1, 2, 7) else ''}\n"
                   for d in range(1, 8))
    data = load(tmp_path, "date,full,a,b\n" + rows)
    assert data.warnings == [
        "series 'a' (71% filled), 'b' (57% filled) are mostly filled-in values (`fill` interpolate), "
        "which makes their forecasts unreliable; check the file for gaps or a stray date"
    ]


def test_a_saved_schema_refuses_data_coarser_than_its_frequency(tmp_path):
    schema = Schema("wide", "date", None, ["v"], "h")
    with pytest.raises(DataError, match="no two timestamps one 'h' step apart"):
        load_series(write(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n"), Config(), schema=schema)
    # A gap is not a coarser frequency: two adjacent timestamps are enough.
    data = load_series(write(tmp_path, "date,v\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 05:00,6\n"),
                       Config(), schema=schema)
    assert values(data, "v") == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


# --- many series at once: cleaned together exactly as each would be alone ---


def many_series(freq: str, tz: str | None = None) -> pd.DataFrame:
    """Long rows of a few series with gaps, missing values, another start each, shuffled rows."""
    rng = np.random.default_rng(1)
    parts = []
    for k in range(4):
        times = pd.date_range(pd.Timestamp("2024-01-01") + k * pd.tseries.frequencies.to_offset(freq), periods=12,
                              freq=freq, tz=tz)
        keep = rng.random(12) > 0.25
        keep[[0, -1]] = True
        y = rng.normal(10, 2, 12)
        y[rng.random(12) < 0.2] = np.nan
        parts.append(pd.DataFrame({"unique_id": f"s{k}", "ds": times[keep], "y": y[keep]}))
    return pd.concat(parts).sample(frac=1, random_state=0).reset_index(drop=True)


@pytest.mark.parametrize("fill", ["interpolate", "ffill", "zero"])
@pytest.mark.parametrize(("freq", "tz"), [("h", None), ("h", "UTC"), ("D", "Europe/Berlin"), ("MS", None)])
def test_series_cleaned_together_are_as_if_cleaned_alone(freq, tz, fill):
    frame = many_series(freq, tz)
    together = series_from_frame(frame, Config(fill=fill, freq=freq))
    alone = [series_from_frame(rows, Config(fill=fill, freq=freq)) for _, rows in frame.groupby("unique_id", sort=False)]
    assert together.ids == [one.series[0].id for one in alone]
    for series, one in zip(together.series, alone):
        assert series.time.equals(one.series[0].time) and series.time.dtype == one.series[0].time.dtype
        assert series.values.tobytes() == one.series[0].values.tobytes()
    assert (together.inserted, together.filled) == (sum(a.inserted for a in alone), sum(a.filled for a in alone))


def test_the_first_series_at_fault_is_the_one_named(tmp_path):
    fine = "fine,2024-01-01,1\nfine,2024-01-02,2\nfine,2024-01-03,3\n"
    late = "late,2024-01-01,1\nlate,2024-01-01 07:00,2\nlate,2024-01-02,3\n"  # off the daily grid
    twice = "twice,2024-01-01,1\ntwice,2024-01-01,2\ntwice,2024-01-02,3\n"  # a repeated timestamp
    message = refusal(tmp_path, "unique_id,ds,y\n" + fine + late + twice, freq="D")
    assert "series 'late' has timestamp 2024-01-01 07:00:00 off the 'D' grid" in message
    message = refusal(tmp_path, "unique_id,ds,y\n" + fine + twice + late, freq="D")
    assert "series 'twice' has timestamp 2024-01-01 00:00:00 more than once" in message


def test_a_flag_left_out_of_the_series_is_said_with_where_it_belongs(tmp_path):
    data = load(tmp_path, "date,v,holiday\n2024-01-01,1,True\n2024-01-02,2,False\n2024-01-03,3,False\n")
    assert data.schema.targets == ["v"]
    assert data.notes == ["ignored 'holiday' (true/false: a flag, for `covariates`)"]
