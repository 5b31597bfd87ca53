"""forecaster.data.header: the separator sniffed from the header, and lines above the header refused.

A report's title above the header was read as the header before: its fields named the columns and the
real header became a row of data. The CLI tests check the one line a user reads and that nothing was saved.
"""

from __future__ import annotations

import pandas as pd
import pytest

from forecaster.data.reading import read_table
from forecaster.errors import DataError

from conftest import invoke, ok, user_error

TINY = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "12", "--horizon", "6"]


def daily_rows(days: int = 40, sep: str = ",") -> str:
    return "".join(f"{d.date()}{sep}{100 + i % 7 + i * 0.5}\n"
                   for i, d in enumerate(pd.date_range("2024-01-01", periods=days)))


def test_the_header_names_the_separator_when_data_rows_end_in_it(tmp_path):
    # The sniffer took the decimal commas for the separator here, and refused the file.
    path = tmp_path / "data.csv"
    path.write_text("Datum;Umsatz\n01.01.2024;1000,95;\n02.01.2024;1075,57;\n03.01.2024;1095,43;\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["Datum", "Umsatz"] and frame["Umsatz"].tolist() == [1000.95, 1075.57, 1095.43]


def test_a_title_above_the_header_is_refused(tmp_path):
    # Read as the header before, the title's comma split each row at its decimal comma: the series '2024' was
    # the decimals' digits (5, 0, 5, 5, ...), with only a note that 'Sales report' was ignored.
    path = tmp_path / "report.csv"
    path.write_text("Sales report, 2024\ndate;sales\n" + "".join(f"2024-01-{d:02d};1{d},5\n" for d in range(1, 9)))
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert result.exit_code == 2 and not (tmp_path / "model").exists()
    assert result.stderr.strip() == (
        f"error: {path}: line 1 ('Sales report, 2024') lies above the header (line 2: 2 names separated by ';'), "
        "as a report's title does; remove it so that the header comes first")
    path.write_text("Report\nExported 2024-01-09\n\ndate,sales\n2024-01-01,10.5\n2024-01-02,11.5\n2024-01-03,9.5\n")
    with pytest.raises(DataError, match=r"lines 1-2 \(from 'Report'\) lie above the header \(line 4: 2 names"):
        read_table(path)


def test_a_header_of_names_above_rows_of_text_is_not_a_title(tmp_path):
    path = tmp_path / "data.csv"
    # The first data row holds only text (its value is missing as 'NA'), but the header above it is as wide.
    path.write_text("date,store,v\n2024-01-01,north,NA\n2024-01-02,south,2.5\n2024-01-03,east,3.5\n")
    assert read_table(path)["store"].tolist() == ["north", "south", "east"]


def test_a_comma_in_a_column_name_of_a_semicolon_file_does_not_split_it(tmp_path):
    # The sniffer took ',' before: the time was 'Datum;Umsatz (EUR' and the series 'netto)' was 5, 1, 0.
    path = tmp_path / "data.csv"
    path.write_text("Datum;Umsatz (EUR, netto)\n2024-01-01;12,5\n2024-01-02;13,1\n2024-01-03;10,0\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["Datum", "Umsatz (EUR, netto)"]
    assert frame["Umsatz (EUR, netto)"].tolist() == [12.5, 13.1, 10.0]


def test_excels_separator_line_is_refused_naming_it(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("sep=;\ndate;a;b\n2024-01-01;1,5;2\n2024-01-02;2,5;3\n")
    with pytest.raises(DataError, match=r"line 1 \('sep=;'\) is Excel's note of the separator, which is no CSV row"):
        read_table(path)



@pytest.mark.parametrize("header", ["date,sales", "date,101"])
def test_a_title_with_as_many_fields_as_the_header_is_refused(tmp_path, header):
    # Read before with the title as the header: 'date' made the time column text, row order became the axis and
    # the header's '101' the series' first value ('date,sales': "column '2024' has 'sales' at line 2").
    path = tmp_path / "report.csv"
    path.write_text(f"Sales report, 2024\n{header}\n" + daily_rows())
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert user_error(result) == (
        f"error: {path}: line 2 ({header!r}) reads as the header, with 'date' over a column of dates; line 1 "
        "('Sales report, 2024') above it would name the columns instead: remove it if a report's title, else fix "
        "line 2")
    assert not (tmp_path / "model").exists()


def test_a_title_above_a_header_of_store_numbers_is_refused(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Sales report\ndate,101\n" + daily_rows(5))
    with pytest.raises(DataError, match=r"line 1 \('Sales report'\) lies above the header \(line 2: 2 names"):
        read_table(path)


def test_a_row_of_units_under_the_header_is_refused_naming_it(tmp_path):
    path = tmp_path / "logger.csv"
    path.write_text("time;temp\ndd.mm.yyyy;degC\n01.01.2024;5,5\n02.01.2024;6,5\n03.01.2024;7,5\n")
    with pytest.raises(DataError, match=r"line 2 \('dd.mm.yyyy;degC'\) reads as the header, with 'dd.mm.yyyy' over "
                                        r"a column of dates; line 1 \('time;temp'\) above it"):
        read_table(path)


@pytest.mark.parametrize("text, line", [
    ("date,store,v\n2024-01-01,north,n.a.\n2024-01-02,north,5\n2024-01-03,north,6\n", 2),
    ("sales,cost\n3,5\n4,6\nn.a.,7\n5,8\n", 4),
])
def test_a_word_in_a_data_row_is_refused_as_a_value_not_as_a_header(tmp_path, text, line):
    path = tmp_path / "data.csv"
    path.write_text(text)
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert f"has 'n.a.' at line {line}, which is not a number" in user_error(result)


def test_a_header_of_store_numbers_names_the_series_of_the_forecast(tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text("date,101,102\n" + "".join(f"{d.date()},{100 + i % 7},{200 + i % 7}\n" for i, d in
                                             enumerate(pd.date_range("2024-01-01", periods=60))))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    ok(invoke("train", path, *TINY, "--out", model))
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"], dtype={"series": str})
    assert frame["series"].unique().tolist() == ["101", "102"]
    assert (frame.groupby("series")["timestamp"].first() == pd.Timestamp("2024-03-01")).all()
    assert frame.loc[frame["series"] == "101", "forecast"].between(90, 115).all()
    assert frame.loc[frame["series"] == "102", "forecast"].between(190, 215).all()


@pytest.mark.parametrize("text", [
    # A hierarchy's top series first in a long file: refused as a second header before.
    "unique_id,ds,y\n" + "".join(f"Total,{t},{50 + t}\n1,{t},{20 + t}\n2,{t},{30 + t}\n" for t in range(1, 9)),
    # An Excel error in the first row of a yearly file: it is named at its cell, not taken for a header.
    "year,sales,growth\n2000,100,#DIV/0!\n" + "".join(f"{2000 + i},{100 + i},0.{i}\n" for i in range(1, 9)),
])
def test_a_first_row_with_numbers_beside_a_word_over_numbers_is_data(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert read_table(path).shape[0] == text.count("\n") - 1
