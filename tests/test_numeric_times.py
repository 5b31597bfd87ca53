"""forecaster.data.numeric_times: numbers in the time column read as dates written YYYYMMDD or Excel's serial days, else steps."""

import numpy as np
import pandas as pd

from forecaster.data.timestamps import RowLabeller, parsed_times

from conftest import load


def test_whole_numbers_that_are_dates_written_yyyymmdd_are_read_as_dates(tmp_path):
    # Read as steps, 20240131 to 20240201 would be 70 steps, 69 of them made up.
    times = pd.date_range("2024-01-25", periods=14, freq="D")
    data = load(tmp_path, "date,v\n" + "".join(f"{t:%Y%m%d},{i}\n" for i, t in enumerate(times)))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "D"
    assert data.notes == ["date column 'date' read as dates written YYYYMMDD"]


def test_whole_numbers_that_are_not_all_dates_stay_steps(tmp_path):
    data = load(tmp_path, "time,v\n20240130,1\n20240131,2\n20240132,3\n20240133,4\n")
    assert list(data.series[0].time) == [20240130, 20240131, 20240132, 20240133] and data.notes == []


def excel_days(times: pd.DatetimeIndex) -> np.ndarray:
    """Excel's serial numbers of `times`: days since 1899-12-30, the time of day as a fraction."""
    return np.asarray((times - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1))


def test_excel_serial_dates_in_a_date_column_are_read_as_dates(tmp_path):
    # Read as steps, the weekends between these business days were made up and the forecast stamped 45402.
    times = pd.bdate_range("2024-01-01", periods=20)
    data = load(tmp_path, "date,v\n" + "".join(f"{d:.0f},{i}\n" for i, d in enumerate(excel_days(times))))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "B"
    assert list(data.series[0].values) == list(range(20))
    assert data.notes == ["date column 'date' read as Excel serial dates (days since 1899-12-30: 45292 is 2024-01-01); "
                          "set `freq` steps to read them as step numbers"]


def test_excel_serial_times_of_day_are_read_to_the_second(tmp_path):
    times = pd.date_range("2024-03-01", periods=48, freq="h")
    # Found by its name and numbers, as it is not one of the time column's usual names.
    data = load(tmp_path, "Order Date,v\n" + "".join(f"{float(d)!r},{i}\n" for i, d in enumerate(excel_days(times))))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "h" and data.ids == ["v"]
    assert data.notes[0] == "time column 'Order Date' (its cells read as dates)"


def test_a_column_named_as_dates_holding_yyyymmdd_is_the_time_not_a_series(tmp_path):
    times = pd.date_range("2024-01-25", periods=14, freq="D")
    data = load(tmp_path, "Invoice date,v\n" + "".join(f"{t:%Y%m%d},{i}\n" for i, t in enumerate(times)))
    assert list(data.series[0].time) == list(times) and data.ids == ["v"]


def test_numbers_like_excel_dates_stay_steps_unless_the_column_is_named_as_dates(tmp_path):
    # A counter named `time` (seconds, say) and serial days before 1990 (which days since 1970 could also be) stay steps.
    assert list(load(tmp_path, "time,v\n45292,1\n45293,2\n45294,3\n").series[0].time) == [45292, 45293, 45294]
    assert list(load(tmp_path, "date,v\n19723,1\n19724,2\n19725,3\n").series[0].time) == [19723, 19724, 19725]


def test_a_model_trained_on_steps_reads_yyyymmdd_like_numbers_as_steps():
    notes: list[str] = []
    frame = pd.DataFrame({"t": [20240101, 20240102]})
    assert list(parsed_times(frame, "t", "frame", RowLabeller(False), notes, freq="steps")) == [20240101, 20240102]
