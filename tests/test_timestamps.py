"""forecaster.data.timestamps: the time column is found, and its cells read as steps or datetimes or refused at their row."""

import pandas as pd
import pytest

from forecaster.config import Config
from forecaster.data import series_from_frame
from forecaster.data.rows import RowLabeller
from forecaster.data.timestamps import parsed_times

from conftest import days, load, refusal


@pytest.mark.parametrize("name", ["ds", "date", "timestamp", "time", "datetime", "Date", "TIMESTAMP", "DateTime"])
def test_time_column_is_found_by_name_in_any_case(tmp_path, name):
    data = load(tmp_path, f"v,{name}\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n")
    assert data.schema.time_col == name
    assert data.schema.targets == ["v"]


def test_time_column_is_found_by_datetime_dtype():
    frame = pd.DataFrame({"v": [1.0, 2.0, 3.0], "recorded": pd.date_range("2024-01-01", periods=3, freq="D")})
    data = series_from_frame(frame, Config())
    assert data.schema.time_col == "recorded"
    assert data.schema.freq == "D"


def test_time_column_is_found_by_parseable_strings(tmp_path):
    data = load(tmp_path, "period,v\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 02:00,3\n")
    assert data.schema.time_col == "period"
    assert data.schema.freq == "h"


def test_text_column_of_labels_is_neither_time_nor_value(tmp_path):
    data = load(tmp_path, "region,v\nnorth,1\nnorth,2\nnorth,3\n")
    assert data.schema.time_col is None
    assert data.schema.targets == ["v"]


def test_time_col_setting_overrides_detection(tmp_path):
    text = "date,recorded,v\n2024-05-01,2024-01-01,1\n2024-05-01,2024-01-02,2\n2024-05-01,2024-01-03,3\n"
    data = load(tmp_path, text, time_col="recorded")
    assert data.schema.time_col == "recorded"
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-02", "2024-01-03")


def test_integer_time_column_that_is_not_whole_steps_is_refused(tmp_path):
    message = refusal(tmp_path, "time,v\n1,1\n1.5,2\n2,3\n")
    assert "column 'time' has 1.5 at line 3, not a whole step" in message


@pytest.mark.parametrize("step", ["inf", "1e20"])
def test_step_numbers_that_are_infinite_or_inexact_are_refused(tmp_path, step):
    message = refusal(tmp_path, f"time,v\n1,1\n2,2\n{step},3\n")
    assert f"column 'time' has {float(step)} at line 4, not a whole step number" in message


def test_timestamps_with_and_without_time_of_day_share_one_column(tmp_path):
    text = "date,v\n2024-01-01,1\n2024-01-01 12:00,2\n2024-01-02,3\n2024-01-02 12:00,4\n"
    data = load(tmp_path, text)
    assert data.schema.freq == "12h"
    assert list(data.series[0].time) == days("2024-01-01", "2024-01-01 12:00", "2024-01-02", "2024-01-02 12:00")


def test_mixed_utc_offsets_are_put_on_utc(tmp_path):
    text = "date,v\n2024-03-31T00:00+01:00,1\n2024-03-31T02:00+02:00,2\n2024-03-31T01:00+00:00,3\n"
    data = load(tmp_path, text)
    assert list(data.series[0].time) == list(pd.date_range("2024-03-30 23:00", periods=3, freq="h", tz="UTC"))


def test_unparseable_timestamp_names_value_and_line(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n2024-01-02,2\nnot a day,3\n2024-01-04,4\n")
    assert "column 'date'" in message and "'not a day' at line 4" in message and "`time_col`" in message


def test_empty_timestamp_names_its_line(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01,1\n,2\n2024-01-03,3\n")
    assert "column 'date' is empty at line 3" in message


def test_timestamps_with_an_offset_on_some_rows_only_are_refused(tmp_path):
    message = refusal(tmp_path, "date,v\n2024-01-01 00:00,1\n2024-01-01T01:00Z,2\n2024-01-01 02:00,3\n")
    assert "'2024-01-01T01:00Z' at line 3 with a UTC offset but '2024-01-01 00:00' at line 2 without one" in message


def test_long_file_repeating_timestamps_reads_each_row(tmp_path):
    rows = [f"{s},2024-01-0{d} {h:02d}:00,{d + h}" for s in "ab" for d in (1, 2) for h in (0, 12)]
    data = load(tmp_path, "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    expected = days("2024-01-01", "2024-01-01 12:00", "2024-01-02", "2024-01-02 12:00")
    assert [list(s.time) for s in data.series] == [expected, expected]


def test_the_reading_that_fits_more_rows_wins_not_more_distinct_texts(tmp_path):
    # The first cell's format (month/day/year) reads six rows of one distinct text; ISO 8601 reads two
    # other texts of one row each. Counted by row, the first format wins and the ISO rows are refused.
    rows = [f"{s},01/02/2024,1" for s in "abcdef"] + ["g,2024-01-05,1", "g,2024-01-06,2"]
    message = refusal(tmp_path, "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    assert "'2024-01-05' at line 8" in message and "(2 such)" in message


def test_a_bad_timestamp_repeated_in_later_series_is_named_at_its_first_line(tmp_path):
    rows = ["a,2024-01-01,1", "a,2024-01-02,2", "b,2024-01-01,3", "b,someday,4", "c,someday,5"]
    message = refusal(tmp_path, "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    assert "'someday' at line 5" in message and "(2 such)" in message


def test_an_offset_repeated_across_series_is_named_at_its_first_line(tmp_path):
    rows = ["a,2024-01-01 00:00,1", "b,2024-01-01 00:00,2", "b,2024-01-01T01:00Z,3", "c,2024-01-01T01:00Z,4"]
    message = refusal(tmp_path, "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    assert "'2024-01-01T01:00Z' at line 4 with a UTC offset but '2024-01-01 00:00' at line 2 without one" in message


def test_without_a_time_column_row_order_is_the_axis():
    frame = pd.DataFrame({"v": [1.0, 2.0]})
    assert parsed_times(frame, None, "frame", RowLabeller(False), []) is None


def test_utc_conversion_is_noted_once():
    frame = pd.DataFrame({"t": ["2024-01-01T00:00+01:00", "2024-01-01T00:00+00:00"]})
    notes: list[str] = []
    times = parsed_times(frame, "t", "frame", RowLabeller(False), notes)
    assert list(times) == [pd.Timestamp("2023-12-31 23:00", tz="UTC"), pd.Timestamp("2024-01-01 00:00", tz="UTC")]
    assert notes == ["converted the timestamps of column 't', which have different UTC offsets, to UTC"]


# --- day-first and month-first dates, --date-format, leap seconds ---


def dated(times: pd.DatetimeIndex, date_format: str) -> str:
    """A wide CSV with one row per timestamp, written in `date_format`, valued 0, 1, 2, ..."""
    return "date,v\n" + "".join(f"{t.strftime(date_format)},{i}\n" for i, t in enumerate(times))


MONTHS = pd.date_range("1959-01-01", periods=48, freq="MS")  # "01/04/1959": the first of each month
TWELVE_DAYS = pd.date_range("2023-01-01", periods=12, freq="D")  # days and months both 1..12


def test_day_first_monthly_dates_are_read_as_the_only_regular_grid(tmp_path):
    # Month-first, "01/04/1959" is 4 January: each year would be 1-12 January, a daily grid with 353 days missing.
    data = load(tmp_path, dated(MONTHS, "%d/%m/%Y"))
    assert list(data.series[0].time) == list(MONTHS)
    assert data.schema.freq == "MS"
    assert data.notes == ["date column 'date' read as day-first (DD/MM/YYYY), the only reading that gives a "
                          "regular time grid"]


def test_day_first_monthly_dates_with_two_digit_years_are_read_as_the_only_regular_grid(tmp_path):
    months = pd.date_range("2015-01-01", periods=48, freq="MS")  # "59" would be 2059, as Python reads %y
    data = load(tmp_path, dated(months, "%d/%m/%y"))
    assert list(data.series[0].time) == list(months)
    assert data.notes == ["date column 'date' read as day-first (DD/MM/YY), the only reading that gives a "
                          "regular time grid, years 2015-2018"]


def test_month_first_monthly_dates_stay_month_first_and_say_so(tmp_path):
    data = load(tmp_path, dated(MONTHS, "%m/%d/%Y"))
    assert list(data.series[0].time) == list(MONTHS)
    assert data.notes == ["date column 'date' read as month-first (MM/DD/YYYY), the only reading that gives a "
                          "regular time grid"]


# pandas guesses no format for two-digit years or 12-hour times: it read each cell on its own, day-first only past 12.
@pytest.mark.parametrize("date_format, shown", [("%d/%m/%Y", "DD/MM/YYYY"), ("%d.%m.%Y %H:%M", "DD.MM.YYYY hh:mm"),
                                                ("%d-%m-%y", "DD-MM-YY"),
                                                ("%d/%m/%Y %I:%M %p", "DD/MM/YYYY hh:mm AM/PM")])
def test_dates_with_days_past_12_are_read_day_first(tmp_path, date_format, shown):
    times = pd.date_range("2023-01-10", periods=10, freq="D")
    data = load(tmp_path, dated(times, date_format))
    assert list(data.series[0].time) == list(times)
    years = ", year 2023" if "%y" in date_format else ""  # a two-digit year's century is Python's guess
    assert data.notes == [f"date column 'date' read as day-first ({shown}){years}"]


def test_month_first_dates_that_only_read_month_first_get_no_note(tmp_path):
    times = pd.date_range("2023-01-10", periods=10, freq="D")
    data = load(tmp_path, dated(times, "%m/%d/%Y"))
    assert list(data.series[0].time) == list(times) and data.notes == []


def test_dates_that_read_both_ways_are_refused_naming_date_format(tmp_path):
    message = refusal(tmp_path, dated(TWELVE_DAYS, "%d/%m/%Y"))
    assert "column 'date' reads as dates both day-first and month-first ('02/01/2023' is 2 January 2023 or " \
           "1 February 2023), and both give a regular time grid" in message
    assert "`date_format` %d/%m/%Y (DD/MM/YYYY) or `date_format` %m/%d/%Y (MM/DD/YYYY)" in message
    assert "`freq`" not in message


@pytest.mark.parametrize("date_format", ["%d/%m/%Y", "%m/%d/%Y"])
def test_date_format_setting_reads_either_way(tmp_path, date_format):
    text = dated(TWELVE_DAYS, "%d/%m/%Y")
    data = load(tmp_path, text, date_format=date_format)
    expected = TWELVE_DAYS if date_format == "%d/%m/%Y" else pd.date_range("2023-01-01", periods=12, freq="MS")
    assert list(data.series[0].time) == list(expected) and data.notes == []


def test_a_known_frequency_tells_the_order(tmp_path):
    # A saved model's frequency (or --freq) leaves one reading: twelve days, not twelve months.
    data = load(tmp_path, dated(TWELVE_DAYS, "%d/%m/%Y"), freq="D")
    assert list(data.series[0].time) == list(TWELVE_DAYS)


def test_a_date_that_matches_no_order_is_named_at_its_line(tmp_path):
    text = dated(pd.date_range("2023-01-10", periods=5, freq="D"), "%d/%m/%Y") + "someday,5\n"
    assert "'someday' at line 7, which is not a date or time (1 such)" in refusal(tmp_path, text)


def test_a_cell_that_does_not_match_the_date_format_is_named(tmp_path):
    message = refusal(tmp_path, dated(TWELVE_DAYS, "%d/%m/%Y"), date_format="%Y-%m-%d")
    assert "'01/01/2023' at line 2, which does not match `date_format` '%Y-%m-%d' (12 such)" in message


def test_a_date_format_pandas_cannot_read_is_refused(tmp_path):
    assert "`date_format` '%Q' is not a format pandas reads" in refusal(tmp_path, dated(TWELVE_DAYS, "%d/%m/%Y"),
                                                                          date_format="%Q")


def test_a_leap_second_is_refused_at_its_line(tmp_path):
    # pandas would roll it into 2017-01-01 00:00:00, a repeat or a stray step.
    text = "date,v\n2016-12-31 23:59:58,1\n2016-12-31 23:59:59,2\n2016-12-31 23:59:60,3\n2017-01-01 00:00:00,4\n"
    message = refusal(tmp_path, text)
    assert "column 'date' has '2016-12-31 23:59:60' at line 4, a leap second" in message
    assert "(1 such); write it as the second before (59), or drop the row" in message


def test_day_first_reading_of_a_frame_is_noted_like_a_file():
    frame = pd.DataFrame({"date": [t.strftime("%d/%m/%Y") for t in MONTHS], "v": range(len(MONTHS))})
    data = series_from_frame(frame, Config())
    assert list(data.series[0].time) == list(MONTHS)
    assert data.notes[0].startswith("date column 'date' read as day-first")


@pytest.mark.parametrize("written", ["{y}Q{q}", "{y}-Q{q}", "{y} Q{q}", "Q{q} {y}", "Q{q}-{y}", "q{q}/{y}"])
def test_quarters_written_with_a_space_or_quarter_first_are_read_as_quarters(tmp_path, written):
    # Before, the column was ignored as text and row order became the axis.
    labels = [written.format(y=2000 + i // 4, q=i % 4 + 1) for i in range(12)]
    data = load(tmp_path, "quarter,v\n" + "".join(f"{label},{i}\n" for i, label in enumerate(labels)))
    assert list(data.series[0].time) == list(pd.date_range("2000-01-01", periods=12, freq="QS"))
    assert data.schema.freq == "QS-JAN" and data.notes == ["time column 'quarter' (its cells read as dates)"]


def test_daily_times_whose_offset_changes_with_daylight_saving_are_local_dates(tmp_path):
    # What pandas writes for a daily Europe/Berlin index: in UTC, the days after 31 March left the grid by an hour.
    days = pd.date_range("2024-03-25", periods=14, freq="D", tz="Europe/Berlin")
    data = load(tmp_path, "date,v\n" + "".join(f"{t.isoformat(sep=' ')},{i}\n" for i, t in enumerate(days)))
    assert list(data.series[0].time) == list(days.tz_localize(None)) and data.schema.freq == "D"
    assert data.notes == ["read the timestamps of column 'date' as local dates: their UTC offsets differ (daylight "
                          "saving time), but each is at 00:00 local time"]


def test_two_digit_years_that_python_splits_across_centuries_are_refused(tmp_path):
    times = pd.date_range("1968-12-25", periods=14, freq="D")  # 31/12/68 would be 2068, 01/01/69 1969
    message = refusal(tmp_path, dated(times, "%d/%m/%y"))
    assert "column 'date' has two-digit years, read as 1969-2068 by Python's century" in message


def test_a_note_below_the_table_is_refused_as_one(tmp_path):
    # Named only as "not a date or time" before, and a line too early: pandas skips the blank line above it.
    times = pd.date_range("2024-01-01", periods=10, freq="D")
    text = "date,v\n" + "".join(f"{t.date()},{i}\n" for i, t in enumerate(times)) + "\nSource: Eurostat, 2024\n"
    assert refusal(tmp_path, text).endswith("column 'date' has 'Source: Eurostat' at line 13, which is a note below "
                                            "the table rather than a time (1 such); remove the lines from there on")
    text = text.replace("2024-01-05", "bad date here")  # a cell inside the table is no note
    assert "'bad date here' at line 6, which is not a date or time" in refusal(tmp_path, text)


@pytest.mark.parametrize("times", [["2024-01", "2024-02", "2024-03", "2024-04"], ["2000 Q1", "2000 Q2", "2000 Q3", "2000 Q4"]])
def test_a_total_row_under_the_times_is_refused_at_its_line(tmp_path, times):
    # Before, 'Total' made the column text: row order became the axis and the total a data point.
    text = "period,sales\n" + "".join(f"{t},{10 + i}\n" for i, t in enumerate(times)) + "Total,46\n"
    message = refusal(tmp_path, text)
    assert "column 'period' has 'Total' at line 6, which is a summary row rather than a time (1 such); remove the row" in message

