"""Detect the layout: wide or long, which column is the time, the ids, the targets (see `roles`)."""

from __future__ import annotations

import re

import pandas as pd

from forecaster.config import Config
from forecaster.data.roles import BY_MONTH_SERIES, by_month, column_roles
from forecaster.data.series import Schema
from forecaster.data.timestamps import is_text
from forecaster.errors import DataError

DEFAULT_ID = "unique_id"
DEFAULT_LONG_TARGET = "y"
DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


def detect_schema(frame: pd.DataFrame, config: Config, source: str) -> tuple[Schema, list[str]]:
    """The schema a person would read from the frame, and each guessed column role in words."""
    id_col = config.id_col or (DEFAULT_ID if DEFAULT_ID in frame.columns else None)
    roles = column_roles(frame, config, id_col, source)
    time_col = roles.time_col
    for role, col in (("time", time_col), ("series id", id_col)):
        if col is not None and col in (config.target or []):
            raise DataError(
                f"{source}: `target` {col!r} is the {role} column; choose value columns among "
                f"{', '.join(str(c) for c in frame.columns if c not in (time_col, id_col))}"
            )
    if id_col is not None:
        targets = config.target or [DEFAULT_LONG_TARGET]
        if len(targets) != 1:
            raise DataError(f"{source}: long format takes one `target` column, got {', '.join(targets)}")
        return Schema("long", time_col, id_col, targets, config.freq or "", list(config.covariates),
                      list(config.future_covariates), time_parts=roles.time_parts), roles.guesses
    used = {time_col, *roles.time_parts, *roles.ignored, *config.covariates, *config.future_covariates}
    guesses = list(roles.guesses)
    targets = config.target or [c for c in frame.columns if c not in used and _holds_numbers(frame[c])]
    if by_month(roles.time_parts):
        targets = [BY_MONTH_SERIES]
    elif not config.target:
        guesses += _unchosen_roles(frame, targets, used, time_col)
    if not targets:
        raise DataError(
            f"{source}: no numeric value column found among {', '.join(map(str, frame.columns))}; "
            "name the value column with `target`"
        )
    return Schema("wide", time_col, None, list(targets), config.freq or "", list(config.covariates),
                  list(config.future_covariates), time_parts=roles.time_parts), guesses


def _unchosen_roles(frame: pd.DataFrame, targets: list[str], used: set[str], time_col: str | None) -> list[str]:
    """In words, what no setting chose: several columns as series, and columns left out (with row order as the
    time where one of them may have been meant as the time: ISO weeks, fiscal years)."""
    several = len(targets) > 1
    said = [f"series {', '.join(map(repr, targets))} (every numeric column; choose with `target`)"] if several else []
    left_out = [f"ignored {c!r} ({_why_not_a_series(frame[c])})"
                for c in frame.columns if c not in used and c not in targets]
    if left_out and time_col is None:
        left_out.append("no time column: row order is the time axis (name one with `time_col`)")
    return said + left_out


def _why_not_a_series(column: pd.Series) -> str:
    """Why a column left out of the series is, in words: a flag may be meant as a covariate."""
    return "true/false: a flag, for `covariates`" if pd.api.types.is_bool_dtype(column) else "not numbers"


def _holds_numbers(column: pd.Series) -> bool:
    """A value column, even when a stray text cell made pandas read it as text."""
    if pd.api.types.is_bool_dtype(column):
        return False  # a flag such as `holiday` is a covariate, not a series to forecast
    if pd.api.types.is_numeric_dtype(column):
        return True
    if not is_text(column):
        return False
    # Mostly numbers means a typo to report at its line, not a label column to drop silently.
    present = column.dropna().astype(str)
    # Decimal commas ("1,5") count too, so that the refusal can point at them.
    numbers = pd.to_numeric(present.str.replace(DECIMAL_COMMA, lambda m: m[0].replace(",", "."), regex=True),
                            errors="coerce")
    return len(present) > 0 and numbers.notna().mean() > 0.5


def require_columns(frame: pd.DataFrame, schema: Schema, source: str) -> None:
    values = [] if by_month(schema.time_parts) else schema.targets  # a year-by-month table's series has no column
    needed = [c for c in (schema.time_col, *schema.time_parts, schema.id_col, *values, *schema.covariates,
                          *schema.future_covariates) if c is not None]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: no column {', '.join(map(repr, missing))}; the columns are "
            f"{', '.join(map(str, frame.columns))} (choose with `target`, `time_col`, `id_col`)"
        )
