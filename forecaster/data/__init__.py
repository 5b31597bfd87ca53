"""File -> clean series: read, detect the layout, parse time, regularize and fill, covariates.

`load_series(path, config)` reads a file, `series_from_frame(frame, config)` a DataFrame; both give a
`SeriesSet` (see `frame` for the steps and the module that owns each).
"""

from forecaster.data.frame import check_time_zone, load_series, series_from_frame
from forecaster.data.series import MinLength, Schema, Series, SeriesSet

__all__ = ["MinLength", "Schema", "Series", "SeriesSet", "check_time_zone", "load_series", "series_from_frame"]
