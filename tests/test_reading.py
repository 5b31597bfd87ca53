"""forecaster.data.reading: a file, a pipe or standard input is read once, its separator and decimal mark sniffed.

The CLI tests train tiny models (hidden 8, one epoch) and check what was read: the model's schema
and series, the forecast's first timestamp and its values, not only the exit code. Pipes are real
ones (a FIFO written by a thread, `os.pipe`, a subprocess's standard input).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.config import parse_sep
from forecaster.data.reading import SNIFF_BYTES, read_table
from forecaster.errors import DataError

from conftest import invoke

TINY = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "12", "--horizon", "6"]
SMALL_ROWS, BIG_ROWS = 300, 4000  # an hourly file under and over the sniffer's 64 KiB head


def hourly_file(tmp_path: Path, rows: int, name: str = "data.csv") -> Path:
    time = pd.date_range("2024-01-01", periods=rows, freq="h")
    values = 10 + 3 * np.sin(2 * np.pi * np.arange(rows) / 24)
    path = tmp_path / name
    pd.DataFrame({"date": time, "load": values.round(4)}).to_csv(path, index=False)
    return path


def forecaster_process(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecaster", *map(str, args)], capture_output=True,
                          timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"}, **kwargs)


def manifest(model: Path) -> dict:
    return json.loads((model / "config.json").read_text())


def read_part(manifest_: dict) -> tuple[dict, dict]:
    """What a model learned from reading its file: the schema, and each series' scaler and training end."""
    series = {name: (entry["scaler"], entry["training_end"]) for name, entry in manifest_["series"].items()}
    return manifest_["schema"], series


def refused(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in line, line
    return line


def written_through_a_pipe(path: Path, read) -> object:
    """`read(pipe_path)` while a thread writes the file into a real pipe, as `<(cat file)` gives it."""
    reader, writer = os.pipe()

    def write() -> None:
        with os.fdopen(writer, "wb") as handle:
            handle.write(path.read_bytes())

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        return read(Path(f"/dev/fd/{reader}"))
    finally:
        thread.join(timeout=10)
        os.close(reader)


# ----------------------------------------------------------------- pipes and standard input
@pytest.mark.parametrize("rows", [SMALL_ROWS, BIG_ROWS])
def test_a_pipe_reads_the_same_frame_as_the_file(tmp_path, rows):
    path = hourly_file(tmp_path, rows)
    assert (path.stat().st_size > SNIFF_BYTES) == (rows == BIG_ROWS)
    frame = written_through_a_pipe(path, read_table)
    pd.testing.assert_frame_equal(frame, read_table(path))
    assert frame.columns.tolist() == ["date", "load"] and len(frame) == rows


def test_dash_reads_standard_input(tmp_path, monkeypatch):
    path = hourly_file(tmp_path, BIG_ROWS)

    def stdin_reader(pipe: Path):  # standard input that is a pipe, as in `cat file | forecaster train -`
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(open(pipe, "rb")))
        return read_table(Path("-"))

    pd.testing.assert_frame_equal(written_through_a_pipe(path, stdin_reader), read_table(path))


@pytest.fixture(scope="module")
def trained_on_files(tmp_path_factory) -> dict[int, tuple[Path, Path]]:
    """A small and a big file, each with the model trained on the file itself."""
    root = tmp_path_factory.mktemp("files")
    models = {}
    for rows in (SMALL_ROWS, BIG_ROWS):
        data = hourly_file(root, rows, f"hourly_{rows}.csv")
        result = invoke("train", data, *TINY, "--out", root / f"model_{rows}")
        assert result.exit_code == 0, result.output
        models[rows] = (data, root / f"model_{rows}")
    return models


def test_train_from_a_fifo_reads_the_whole_file(tmp_path, trained_on_files):
    # What `forecaster train <(cat big.csv)` does: a named pipe that gives its bytes once.
    data, reference = trained_on_files[BIG_ROWS]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle:
            handle.write(data.read_bytes())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    process = forecaster_process("train", fifo, *TINY, "--out", tmp_path / "model")
    if writer.is_alive():  # the process never opened the pipe: let the writer go
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(timeout=10)
    assert process.returncode == 0, process.stderr.decode()
    assert read_part(manifest(tmp_path / "model")) == read_part(manifest(reference))


@pytest.mark.parametrize("rows", [SMALL_ROWS, BIG_ROWS])
def test_train_and_predict_read_data_from_standard_input(tmp_path, trained_on_files, rows):
    data, reference = trained_on_files[rows]
    model = tmp_path / "models" / "stdin"  # the default --out for `-`
    process = forecaster_process("train", "-", *TINY, input=data.read_bytes(), cwd=tmp_path)
    assert process.returncode == 0, process.stderr.decode()
    assert read_part(manifest(model)) == read_part(manifest(reference))
    forecast = tmp_path / "forecast.csv"
    process = forecaster_process("predict", model, "--data", "-", "--output", forecast, input=data.read_bytes())
    assert process.returncode == 0, process.stderr.decode()
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=rows)
    assert frame["forecast"].between(0, 20).all()


def test_empty_standard_input_is_refused_as_empty(tmp_path):
    process = forecaster_process("train", "-", *TINY, "--out", tmp_path / "model", input=b"")
    assert process.returncode == 2
    assert "stdin: the file is empty" in process.stderr.decode()
    assert not (tmp_path / "model").exists()


def test_parquet_is_recognised_on_standard_input(tmp_path, monkeypatch):
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=4, freq="h"), "kw": [1.0, 2.0, 3.0, 4.0]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buffer.getvalue())))
    pd.testing.assert_frame_equal(read_table(Path("-")), frame)


# ----------------------------------------------------------------- encodings
def mixed_encoding_file(tmp_path: Path, line: int) -> Path:
    """A UTF-8 daily file with one Latin-1 "é" (byte 0xe9) in the value cell of `line` (1: the header)."""
    lines = ["date,v"] + [f"{d.date()},{i}" for i, d in enumerate(pd.date_range("2000-01-01", periods=6000))]
    lines[line - 1] = lines[line - 1].split(",")[0] + ",caf\udce9"
    path = tmp_path / "mixed.csv"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    return path


def test_a_byte_that_is_not_utf8_past_the_head_is_named_by_its_line(tmp_path):
    path = mixed_encoding_file(tmp_path, 5000)
    assert path.read_bytes().index(b"\xe9") > SNIFF_BYTES
    with pytest.raises(DataError) as caught:
        read_table(path)
    assert str(caught.value) == f"{path}: not a UTF-8 text file at line 5000; save it as UTF-8 CSV (or Parquet)"


def test_a_byte_that_is_not_utf8_in_the_head_is_named_by_its_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"date,v\n2024-01-01,1\n2024-01-02,caf\xe9\n")
    with pytest.raises(DataError, match="mixed.csv: not a UTF-8 text file at line 3; save it as UTF-8"):
        read_table(path)


def test_a_mixed_encoding_file_exits_2_naming_the_line(tmp_path):
    path = mixed_encoding_file(tmp_path, 4999)
    refused(invoke("train", path, *TINY, "--out", tmp_path / "model"), "mixed.csv: not a UTF-8 text file at line 4999")
    assert not (tmp_path / "model").exists()


# ----------------------------------------------------------------- separators and decimal marks
def test_decimal_commas_are_read_in_a_semicolon_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("Datum;Wert;Menge\n01.01.2024;1,5;3\n02.01.2024;-0,25;4\n03.01.2024;2;5\n")
    frame = read_table(path)
    assert frame["Wert"].tolist() == [1.5, -0.25, 2.0]
    assert frame["Menge"].tolist() == [3, 4, 5]


@pytest.mark.parametrize("text", [
    "date;v\n2024-01-01;1,500\n2024-01-02;2,250\n",  # thousands separators, or decimal commas: no telling
    "date;v;w\n2024-01-01;1,5;2.5\n2024-01-02;2,5;3.5\n",  # a decimal point beside: the commas are something else
    "date,v\n2024-01-01,\"1,5\"\n2024-01-02,\"2,5\"\n",  # comma-separated files keep the decimal point
])
def test_commas_that_may_not_be_decimal_marks_are_left_as_text(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert not pd.api.types.is_numeric_dtype(read_table(path)["v"])


def test_sep_and_decimal_given_override_the_sniffer(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("date;v\n2024-01-01;1,500\n2024-01-02;2,250\n")
    assert read_table(path, decimal=",")["v"].tolist() == [1.5, 2.25]
    assert read_table(path, sep="|").columns.tolist() == ["date;v"]


def test_points_that_may_separate_thousands_beside_whole_numbers_are_refused_until_decimal_says(tmp_path):
    # A German export of sales without decimals: read with a decimal point, 1.079 and 961 lie 1000x apart.
    path = tmp_path / "data.csv"
    path.write_text("Datum;Umsatz\n2024-01-01;1.000\n2024-01-02;961\n2024-01-03;1.079\n")
    with pytest.raises(DataError, match=r"column 'Umsatz' has '1.000' beside whole numbers such as '961': a "
                                        r"thousands point \(1000\) or a decimal point\? Set `thousands` \. or "
                                        r"`decimal` \. to say which"):
        read_table(path)
    assert read_table(path, decimal=".")["Umsatz"].tolist() == [1.0, 961.0, 1.079]
    assert read_table(path, thousands=".")["Umsatz"].tolist() == [1000, 961, 1079]


@pytest.mark.parametrize("text, mark", [
    ("Datum;Umsatz;Anteil\n01.02.2024;1.234,5;0,125\n02.02.2024;961,25;0,250\n", "."),  # a German export
    ('date,value,share\n01.02.2024,"1,234.5",0.125\n02.02.2024,"961.25",0.250\n', ","),  # an English one
])
def test_numbers_that_show_both_marks_are_read_once_thousands_is_set(tmp_path, text, mark):
    # pandas' thousands option holds for every column and row: "2.5" past the head would become 25 unasked.
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=f"separate thousands with \\{mark}; set `thousands` \\{mark} to read them so"):
        read_table(path)
    frame = read_table(path, thousands=mark)
    assert frame.iloc[:, 1].tolist() == [1234.5, 961.25] and frame.iloc[:, 2].tolist() == [0.125, 0.25]
    # pandas would drop the thousands mark from the dates too, and read 01.02.2024 as the number 1022024.
    assert frame.iloc[:, 0].tolist() == ["01.02.2024", "02.02.2024"]


@pytest.mark.parametrize("space, fix", [(" ", "set `thousands` space to read them so"),
                                        ("\u00a0", "a no-break space, which forecaster cannot read: remove")])
def test_a_french_export_names_its_thousands_space(tmp_path, space, fix):
    path = tmp_path / "data.csv"
    path.write_text(f"date;valeur\n2024-01-01;1{space}000,95\n2024-01-02;975,5\n", encoding="utf-8")
    with pytest.raises(DataError, match=fix):
        read_table(path)
    if space == " ":
        assert read_table(path, thousands=" ")["valeur"].tolist() == [1000.95, 975.5]


def test_thousands_separators_are_saved_with_the_model_and_read_by_predict(tmp_path):
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    values = [f"1.{37 * (i % 7):03d}" if i % 2 else str(900 + i) for i in range(60)]  # 1.000 to 1.222 beside 900
    path = tmp_path / "sales.csv"
    path.write_text("Datum;Umsatz\n" + "".join(f"{t:%d.%m.%Y};{v}\n" for t, v in zip(days, values)))
    assert refused(invoke("train", path, *TINY, "--out", tmp_path / "refused"), "Set --thousands . or --decimal .")
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model, "--thousands", ".")
    assert result.exit_code == 0, result.output
    assert manifest(model)["config"]["thousands"] == "."
    frame = forecast_of(tmp_path, model, path)
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-01")
    assert frame["forecast"].between(700, 1400).all()  # read as 1.037, the forecasts would be near 450


@pytest.mark.parametrize("text", [
    "date,v\n2024-01-01,0.125\n2024-01-02,2\n",  # no thousands group begins with 0
    "date,v\n2024-01-01,1.25\n2024-01-02,2\n",  # two decimals: not a thousands point
    "date,v\n2024-01-01,1.250\n2024-01-02,2.000\n",  # three decimals everywhere: a fixed format
])
def test_points_that_can_only_be_decimal_points_are_read_as_numbers(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert pd.api.types.is_float_dtype(read_table(path)["v"])


def test_a_separator_ending_each_data_row_is_an_empty_field(tmp_path):
    # pandas took the dates for an index and shifted every column left by one: 'date' held the values.
    path = tmp_path / "data.csv"
    path.write_text("date,v\n2024-01-01,1.5,\n2024-01-02,2.5,\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["date", "v"] and frame["v"].tolist() == [1.5, 2.5]


def test_a_value_beyond_the_last_named_column_is_refused_naming_its_line(tmp_path):
    # Read before as an index and shifted columns: the series was 5, 6 on steps 1, 2, without a word.
    path = tmp_path / "data.csv"
    path.write_text("date,v\n2024-01-01,1,5\n2024-01-02,2,6\n")
    with pytest.raises(DataError, match=r"line 2 holds more values than the header names columns \(2\); give every "
                                        r"column a name in the header"):
        read_table(path)


def test_r_write_table_row_numbers_without_a_header_field_are_row_labels(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('"date","v"\n"1","2024-01-01",1.5\n"2","2024-01-02",2.5\n"3","2024-01-03",3.5\n')
    frame = read_table(path)
    assert frame.columns.tolist() == ["date", "v"] and frame["v"].tolist() == [1.5, 2.5, 3.5]


def test_a_decimal_mark_that_is_the_separator_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("date,v\n2024-01-01,1\n")
    with pytest.raises(DataError, match="the decimal mark ',' is also the field separator"):
        read_table(path, decimal=",")


def spreadsheet_export(tmp_path: Path, sep: str = ";", decimals: int = 2) -> Path:
    """80 days of a series around 1.5 as a European spreadsheet exports it: `;`, decimal commas, DD.MM.YYYY."""
    time = pd.date_range("2024-01-01", periods=80, freq="D")
    values = 1.5 + 0.3 * np.sin(2 * np.pi * np.arange(80) / 7)
    path = tmp_path / "export.csv"
    pd.DataFrame({"Datum": time, "Wert": values}).to_csv(path, sep=sep, decimal=",", date_format="%d.%m.%Y",
                                                        float_format=f"%.{decimals}f", index=False)
    return path


def test_a_european_spreadsheet_export_trains_and_forecasts_in_its_units(tmp_path):
    path = spreadsheet_export(tmp_path)
    assert "01.01.2024;1,5" in path.read_text()
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert "date column 'Datum' read as day-first (DD.MM.YYYY)" in result.stderr
    assert manifest(model)["schema"]["freq"] == "D" and manifest(model)["schema"]["targets"] == ["Wert"]
    result = invoke("predict", model, "--data", path, "--output", forecast)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-21")  # the day after 20.03.2024, the 80th day
    assert frame["forecast"].between(0.5, 2.5).all()  # 1,5 read as 1.5, not 15


def test_sep_and_decimal_flags_are_saved_and_read_by_predict(tmp_path):
    # Colons between fields, which the sniffer does not try, and three decimals ("1,523"), which could
    # be a thousands separator: only the flags can tell.
    path = spreadsheet_export(tmp_path, sep=":", decimals=3)
    refused(invoke("train", path, *TINY, "--out", tmp_path / "refused", "--sep", ":"), "or --decimal , if it is a decimal comma")
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = invoke("train", path, *TINY, "--out", model, "--sep", ":", "--decimal", ",")
    assert result.exit_code == 0, result.output
    assert manifest(model)["config"]["sep"] == ":" and manifest(model)["config"]["decimal"] == ","
    assert invoke("predict", model, "--data", path, "--output", forecast).exit_code == 0
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-21")
    assert frame["forecast"].between(0.5, 2.5).all()


# ----------------------------------------------------------------- dates through the CLI
def dated_file(tmp_path: Path, times: pd.DatetimeIndex, date_format: str, name: str = "data.csv") -> Path:
    """A series around 1.5 with its dates written in `date_format`."""
    values = 1.5 + 0.3 * np.sin(2 * np.pi * np.arange(len(times)) / 12)
    path = tmp_path / name
    path.write_text("date,v\n" + "".join(f"{t.strftime(date_format)},{v:.4f}\n" for t, v in zip(times, values)))
    return path


def forecast_of(tmp_path: Path, model: Path, data: Path) -> pd.DataFrame:
    forecast = tmp_path / "forecast.csv"
    result = invoke("predict", model, "--data", data, "--output", forecast)
    assert result.exit_code == 0, result.output
    return pd.read_csv(forecast, parse_dates=["timestamp"])


def test_day_first_monthly_dates_train_and_forecast_the_next_month(tmp_path):
    path = dated_file(tmp_path, pd.date_range("1959-01-01", periods=48, freq="MS"), "%d/%m/%Y")
    assert path.read_text().splitlines()[4].startswith("01/04/1959,")
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert "date column 'date' read as day-first (DD/MM/YYYY)" in result.stderr
    assert manifest(model)["schema"]["freq"] == "MS"
    assert manifest(model)["series"]["v"]["training_end"] == "1962-12-01T00:00:00"
    frame = forecast_of(tmp_path, model, path)  # read day-first again: the model's monthly grid decides
    assert frame["timestamp"].iloc[0] == pd.Timestamp("1963-01-01")
    assert frame["timestamp"].iloc[1] == pd.Timestamp("1963-02-01")
    assert frame["forecast"].between(0.5, 2.5).all()


def test_dates_that_read_both_ways_are_refused_until_date_format_says_which(tmp_path):
    path = dated_file(tmp_path, pd.date_range("2023-01-01", periods=12, freq="D"), "%d/%m/%Y")
    short = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "3", "--horizon", "2"]
    model = tmp_path / "model"
    refused(invoke("train", path, *short, "--out", model), "--date-format %d/%m/%Y (DD/MM/YYYY)",
            "--date-format %m/%d/%Y (MM/DD/YYYY)")
    assert not model.exists()
    result = invoke("train", path, *short, "--out", model, "--date-format", "%d/%m/%Y")
    assert result.exit_code == 0, result.output
    assert manifest(model)["config"]["date_format"] == "%d/%m/%Y"
    frame = forecast_of(tmp_path, model, path)  # predict reads the dates with the saved format
    assert frame["timestamp"].tolist() == [pd.Timestamp("2023-01-13"), pd.Timestamp("2023-01-14")]
    assert frame["forecast"].between(0.5, 2.5).all()


def test_a_leap_second_exits_2_naming_line_and_value(tmp_path):
    # The leap second that ended 2016, in a file of seconds: pandas would read it as 2017-01-01 00:00:00.
    times = [f"2016-12-31 23:59:{s:02d}" for s in range(61)] + [f"2017-01-01 00:00:{s:02d}" for s in range(40)]
    path = tmp_path / "leap.csv"
    path.write_text("date,v\n" + "".join(f"{t},{i}\n" for i, t in enumerate(times)))
    refused(invoke("train", path, *TINY, "--out", tmp_path / "model"),
            "leap.csv: column 'date' has '2016-12-31 23:59:60' at line 62, a leap second")
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("flag, value", [("--sep", ";;"), ("--decimal", "1"), ("--date-format", "DD/MM/YYYY")])
def test_reading_settings_out_of_range_exit_2_naming_the_flag(tmp_path, flag, value):
    path = hourly_file(tmp_path, SMALL_ROWS)
    refused(invoke("train", path, *TINY, "--out", tmp_path / "model", flag, value), f"{flag} must be")
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("spelled", ["\\t", "tab"])
def test_a_tab_separator_can_be_spelled_in_a_shell(tmp_path, spelled):
    path = tmp_path / "data.csv"
    path.write_text("date\tv;w\n2024-01-01\t1;2\n2024-01-02\t3;4\n")
    assert parse_sep(spelled) == "\t"
    assert read_table(path, sep=parse_sep(spelled)).columns.tolist() == ["date", "v;w"]


def test_series_ids_keep_their_leading_zeros_from_training_to_the_forecast(tmp_path):
    # pandas reads "001" as the number 1: joined back on their ids, the forecasts would match no row of the user's.
    times = pd.date_range("2024-01-01", periods=60, freq="D")
    rows = [f"{sid},{t:%Y-%m-%d},{level + i % 7}\n" for sid, level in (("001", 10), ("010", 20)) for i, t in enumerate(times)]
    path = tmp_path / "long.csv"
    path.write_text("unique_id,ds,y\n" + "".join(rows))
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert sorted(manifest(model)["series"]) == ["001", "010"]
    result = invoke("predict", model, "--data", path)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"series": str}, parse_dates=["timestamp"])
    assert frame.groupby("series")["timestamp"].min().to_dict() == {"001": pd.Timestamp("2024-03-01"),
                                                                   "010": pd.Timestamp("2024-03-01")}


def test_a_trading_calendar_with_holidays_forecasts_the_next_business_day(tmp_path):
    times = pd.bdate_range("2024-01-01", periods=80).delete([0, 25, 50])  # three holidays
    path = dated_file(tmp_path, times, "%Y-%m-%d")
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert manifest(model)["schema"]["freq"] == "B"
    frame = forecast_of(tmp_path, model, path)
    assert times[-1] == pd.Timestamp("2024-04-19")  # a Friday
    assert frame["timestamp"].tolist()[:2] == [pd.Timestamp("2024-04-22"), pd.Timestamp("2024-04-23")]


def test_excel_serial_dates_forecast_the_next_business_day(tmp_path):
    times = pd.bdate_range("2024-01-01", periods=80)
    serial = (times - pd.Timestamp("1899-12-30")).days
    path = tmp_path / "export.csv"
    path.write_text("date,sales\n" + "".join(f"{d},{100 + i}\n" for i, d in enumerate(serial)))
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert "date column 'date' read as Excel serial dates (days since 1899-12-30: 45292 is 2024-01-01)" in result.stderr
    assert "inserted" not in result.stderr  # no weekend made up
    frame = forecast_of(tmp_path, model, path)  # before: stamped 45402, after 30 made-up weekend days
    assert frame["series"].iloc[0] == "sales" and frame["timestamp"].iloc[0] == pd.Timestamp("2024-04-22")
    assert frame["forecast"].between(120, 220).all()


def test_quarters_written_quarter_first_forecast_the_next_quarter(tmp_path):
    path = tmp_path / "quarters.csv"
    values = 100 + 10 * np.sin(np.arange(40) * np.pi / 2) + np.arange(40)
    path.write_text("period,sales\n" + "".join(f"Q{i % 4 + 1} {2000 + i // 4},{v:.1f}\n" for i, v in enumerate(values)))
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert "time column 'period' (its cells read as dates)" in result.stderr
    frame = forecast_of(tmp_path, model, path)  # before: steps 40, 41, ... after row order
    assert frame["series"].iloc[0] == "sales" and frame["timestamp"].iloc[0] == pd.Timestamp("2010-01-01")
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2010-04-01")


def test_dates_written_yyyymmdd_forecast_the_next_day(tmp_path):
    times = pd.date_range("2024-01-01", periods=60, freq="D")
    path = dated_file(tmp_path, times, "%Y%m%d")
    model = tmp_path / "model"
    result = invoke("train", path, *TINY, "--out", model)
    assert result.exit_code == 0, result.output
    assert "date column 'date' read as dates written YYYYMMDD" in result.stderr
    frame = forecast_of(tmp_path, model, path)  # before: step 20240230, after 20240132 to 20240200 made up
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-03-01")


def test_a_bad_value_after_a_blank_line_is_named_at_its_line(tmp_path):
    # pandas skips blank lines, so the message named line 6 for the value on line 7.
    path = tmp_path / "data.csv"
    path.write_text("date,v\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 5)) + "\n2024-01-05,x\n")
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert result.exit_code == 2 and "column 'v' has 'x' at line 7, which is not a number" in result.stderr
