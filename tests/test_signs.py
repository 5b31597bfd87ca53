"""forecaster.data.signs: currency and percent columns, as spreadsheets save formatted cells, read as numbers.

Before, such a column was text: "no numeric value column found", or with --target "'$1,000.00' ... is not a
number". The CLI tests check the note, the forecast's series, first timestamp and values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from forecaster.config import Config
from forecaster.data import load_series
from forecaster.data.signs import errors_as_missing, signs_dropped
from forecaster.data.rows import RowLabeller
from forecaster.errors import DataError

from conftest import invoke, ok, user_error

TINY = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "14", "--horizon", "7"]
DAYS = pd.date_range("2024-01-01", periods=70)


def read(cells: list, decimal: str | None = None, thousands: str | None = None) -> tuple[list, list[str]]:
    notes: list[str] = []
    frame = signs_dropped(pd.DataFrame({"v": cells}), set(), (decimal, thousands), "f.csv", notes)
    return frame["v"].tolist(), notes


@pytest.mark.parametrize("cells, numbers", [
    (["$1,234.50", "$12.00", "$0.99"], [1234.5, 12.0, 0.99]),
    (["1.234,50 €", "12,00 €", "1.000.000 €"], [1234.5, 12.0, 1e6]),
    (["£1 234.50", "£12"], [1234.5, 12.0]),  # a space between thousands
    (["CHF 1", "x"], None),  # no sign of ours: left as text
    (["12.5%", "7%", "-0.5%"], [12.5, 7.0, -0.5]),
    (["12,5 %", "7 %"], [12.5, 7.0]),
    (["($1.00)", "$2.00", "-$3.00", "$-4.00", "−$5.00"], [-1.0, 2.0, -3.0, -4.0, -5.0]),  # accounting negatives
    (["$2,201.00-", "$3.00"], [-2201.0, 3.0]),  # SAP writes the minus last
    (["201,00- €", "3,00 €"], [-201.0, 3.0]),
    (["$1,000", "$950.50"], [1000.0, 950.5]),  # the other cell's decimal point tells the comma's role
    (["$1.00", "€2.00"], None),  # two currencies: no one column of numbers
    (["5%", "0", "+3.5%", "-1.5 %"], [5.0, 0.0, 3.5, -1.5]),  # a plain 0 among percentages, a plus sign
    (["$ 1,000.00 ", " $ -   ", "$ (5.00)"], [1000.0, 0.0, -5.0]),  # Excel's accounting format: 0 as '$ -'
    (["$1.00", "2.00x"], None),  # a cell that is no number
    (["$1,00.5", "$2"], None),  # marks in no convention
])
def test_cells_with_one_sign_read_as_their_numbers(cells, numbers):
    read_numbers, notes = read(cells)
    if numbers is None:
        assert read_numbers == cells and notes == []
    else:
        assert read_numbers == numbers and len(notes) == 1


def test_empty_cells_stay_missing_and_the_note_says_what_was_dropped():
    numbers, notes = read(["$1,234.50", None, "$3.00"])
    assert numbers[0] == 1234.5 and np.isnan(numbers[1]) and numbers[2] == 3.0
    assert notes == ["column 'v' read as numbers, '$1,234.50' is 1234.5 (the sign '$' and thousands separators ',' "
                     "dropped)"]
    assert read(["5.0%", "6%"])[1] == ["column 'v' read as percentages, '5.0%' is 5 (the sign '%' dropped)"]


@pytest.mark.parametrize("cells, mark", [(["$1,000", "$2,500"], ","), (["€1.500", "€2.250"], ".")])
def test_amounts_that_read_both_ways_are_refused_until_a_mark_is_set(cells, mark):
    with pytest.raises(DataError, match=rf"f.csv: column 'v' holds '{re.escape(cells[0])}', where '\{mark}' may separate "
                                        rf"thousands or be the decimal mark; set `thousands` \{mark} or `decimal` \{mark}"):
        read(cells)
    whole, fraction = float(cells[0][1:].replace(mark, "")), float(cells[0][1:].replace(mark, "."))
    assert read(cells, thousands=mark)[0][0] == whole and read(cells, decimal=mark)[0][0] == fraction


def test_a_decimal_mark_that_is_set_leaves_cells_it_cannot_read_as_text():
    assert read(["$1.50"], decimal=",")[0] == ["$1.50"]


def test_an_excel_export_of_currency_and_percent_columns_trains_and_forecasts(tmp_path):
    path = tmp_path / "sales.csv"
    revenue = 1000 + 50 * (np.arange(len(DAYS)) % 7)  # 1,000.00 to 1,300.00 by weekday
    lines = [f'{d.date()},"${r:,.2f}",{5 + i % 7 * 0.5:.1f}%' for i, (d, r) in enumerate(zip(DAYS, revenue))]
    path.write_text("date,revenue,margin\n" + "\n".join(lines) + "\n")
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = ok(invoke("train", path, *TINY, "--out", model))
    assert ("column 'revenue' read as numbers, '$1,000.00' is 1000 (the sign '$' and thousands separators ',' "
            "dropped)") in result.stderr
    assert "column 'margin' read as percentages, '5.0%' is 5 (the sign '%' dropped)" in result.stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["series"].unique().tolist() == ["revenue", "margin"]
    assert (frame.groupby("series")["timestamp"].first() == pd.Timestamp("2024-03-11")).all()
    assert frame.loc[frame["series"] == "revenue", "forecast"].between(900, 1400).all()
    assert frame.loc[frame["series"] == "margin", "forecast"].between(4, 9).all()


def test_a_european_export_with_euro_amounts_in_a_semicolon_file(tmp_path):
    path = tmp_path / "umsatz.csv"
    amounts = [f"{1000 + 50 * (i % 7)}" for i in range(len(DAYS))]
    path.write_text("Datum;Umsatz\n" + "".join(f"{d:%d.%m.%Y};{a[0]}.{a[1:]},00 €\n" for d, a in zip(DAYS, amounts)))
    result = ok(invoke("train", path, *TINY, "--out", tmp_path / "model"))
    assert "column 'Umsatz' read as numbers, '1.000,00 €' is 1000 (the sign '€' and thousands separators '.' dropped)" \
        in result.stderr


def test_whole_amounts_are_refused_by_the_cli_until_thousands_is_set(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("date,amount\n" + "".join(f'{d.date()},"${1 + i % 7},{i % 10}00"\n' for i, d in enumerate(DAYS)))
    user_error(invoke("train", path, *TINY, "--out", tmp_path / "model"),
               "column 'amount' holds '$1,000', where ',' may separate thousands or be the decimal mark; set "
               "--thousands , or --decimal ,")
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    ok(invoke("train", path, *TINY, "--thousands", ",", "--out", model))
    ok(invoke("predict", model, "--data", path, "--output", forecast))  # the setting is saved with the model
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-11") and frame["forecast"].between(500, 8500).all()


def test_two_currencies_in_one_column_are_still_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("date,amount\n" + "".join(f"{d.date()},{'$' if i % 2 else '€'}{i}.00\n" for i, d in enumerate(DAYS)))
    user_error(invoke("train", path, *TINY, "--out", tmp_path / "model"), "no numeric value column found")


def test_whole_amounts_in_a_file_of_decimal_commas_are_thousands(tmp_path):
    # '1.000 €' was refused as ambiguous though the file's other numbers ('10,5') show its decimal comma.
    path = tmp_path / "umsatz.csv"
    path.write_text("Datum;Umsatz;Anteil\n" + "".join(f"{d:%d.%m.%Y};{1 + i % 3}.{i % 10}00 €;1{i % 5},5\n"
                                                      for i, d in enumerate(DAYS[:20])))
    data = load_series(path, Config())
    assert [s.id for s in data.series] == ["Umsatz", "Anteil"]
    assert data.series[0].values[:3].tolist() == [1000.0, 2100.0, 3200.0]
    assert data.series[1].values[:2].tolist() == [10.5, 11.5]


def excel_errors_read(cells: list, decimal: str | None = None) -> tuple[list, list[str]]:
    notes: list[str] = []
    frame = errors_as_missing(pd.DataFrame({"v": cells}), set(), decimal, RowLabeller(True), notes)
    return frame["v"].tolist(), notes


def test_excel_error_values_are_read_as_missing_and_said_with_their_line():
    numbers, notes = excel_errors_read(["1.5", "#DIV/0!", "2.5", "#VALUE!"])
    assert numbers[0] == 1.5 and np.isnan(numbers[1]) and numbers[2] == 2.5 and np.isnan(numbers[3])
    assert notes == ["column 'v': 2 Excel error cells read as missing, the first '#DIV/0!' at line 3"]
    numbers, _ = excel_errors_read(["0,5", "#WERT!", "#NV", "#¡VALOR!", "1,5"], decimal=",")  # German, Spanish Excel
    assert numbers[0] == 0.5 and np.isnan(numbers[1:4]).all() and numbers[4] == 1.5


@pytest.mark.parametrize("cells", [["1.5", "#DIV/0!", "abc"], ["#TAG", "1"], ["north", "south"]])
def test_columns_with_other_text_are_left_as_they_are(cells):
    assert excel_errors_read(cells) == (cells, [])


def test_a_file_with_excel_errors_trains_and_forecasts(tmp_path):
    # Refused at the first error cell before: "has '#DIV/0!' at line 9, which is not a number".
    path = tmp_path / "kpi.csv"
    path.write_text("date,margin\n" + "".join(f"{d.date()},{'#DIV/0!' if i in (7, 30) else 5 + i % 7}\n"
                                              for i, d in enumerate(DAYS)))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = ok(invoke("train", path, *TINY, "--out", model))
    assert "column 'margin': 2 Excel error cells read as missing, the first '#DIV/0!' at line 9" in result.stderr
    assert "filled 2 missing values" in result.stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-11") and frame["forecast"].between(3, 13).all()
