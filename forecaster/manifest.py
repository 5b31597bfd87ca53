"""What a valid `config.json` holds: every value that later code relies on, checked by type and range.

A config.json may have been edited by hand, damaged, or come from a stranger; a bad value is
named here instead of failing deep inside a command. Only the standard library is needed, except
for `time_problem`, which asks pandas whether frequencies and timestamps read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from forecaster.config import DECODERS
from forecaster.estimator.state import EPOCH_FIELDS


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_positive(value: object) -> bool:
    return _is_number(value) and math.isfinite(value) and value > 0


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_schema(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("layout") in ("wide", "long")
        and all(isinstance(value.get(key), (str, type(None))) for key in ("time_col", "id_col"))
        and (value["layout"] == "wide" or isinstance(value.get("id_col"), str))
        and _is_text_list(value.get("targets")) and len(value["targets"]) >= 1
        and isinstance(value.get("freq"), str) and value["freq"] != ""
        and _is_text_list(value.get("covariates", []))
        # time_parts: none, [year], [year, quarter|month], [year, Jan..Dec] or [date, hour|time] (roles.py)
        and _is_text_list(value.get("time_parts", [])) and len(value.get("time_parts", [])) in (0, 1, 2, 13)
    )


def _is_scaler(value: object) -> bool:
    return (isinstance(value, dict) and all(_is_number(value.get(key)) and math.isfinite(value[key])
                                            for key in ("center", "scale")) and value["scale"] > 0)


def _series_problem(series_id: str, info: object) -> str | None:
    """What is wrong with one series' entry, in words; None when nothing is."""
    if not isinstance(info, dict):
        return f"series {series_id!r} is {_shown(info)}, expected an object"
    if not _is_scaler(info.get("scaler")):
        return f"series {series_id!r} has scaler {_shown(info.get('scaler'))}, expected a finite center and a positive scale"
    end = info.get("training_end")
    if not isinstance(end, (str, int)) or isinstance(end, bool):
        return f"series {series_id!r} has training_end {_shown(end)}, expected a timestamp or step"
    if not (info.get("mase_scale") is None or _is_number(info.get("mase_scale"))):
        return f"series {series_id!r} has mase_scale {_shown(info.get('mase_scale'))}, expected a number"
    if "error_scale" in info and not _is_positive(info["error_scale"]):
        return f"series {series_id!r} has error_scale {_shown(info['error_scale'])}, expected a positive number"
    if "nonnegative" in info and not isinstance(info["nonnegative"], bool):
        return f"series {series_id!r} has nonnegative {_shown(info['nonnegative'])}, expected true or false"
    return None


def _is_history(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(record, dict) and all(_is_number(record.get(key)) for key in EPOCH_FIELDS) for record in value
    )


def _is_scores(value: object) -> bool:
    return isinstance(value, dict) and all(item is None or _is_number(item) for item in value.values())


def _is_level(name: object) -> bool:
    try:
        return isinstance(name, str) and 0.0 < float(name) < 100.0
    except ValueError:
        return False


def _is_margins(value: object) -> bool:
    return isinstance(value, list) and all(_is_number(m) and math.isfinite(m) for m in value)


def margin_keys(entry: dict) -> tuple[str, ...]:
    """A calibration entry's margin lists: one symmetric list, or (CQR) one per bound."""
    return ("margins",) if "margins" in entry else ("lower", "upper")


def _is_calibration(value: object) -> bool:
    """{level in %: {"method": split | cqr, "margins" or "lower" and "upper": [finite numbers], "windows": n}}."""
    return isinstance(value, dict) and all(
        _is_level(name) and isinstance(entry, dict) and entry.get("method") in ("split", "cqr")
        and all(_is_margins(entry.get(key)) for key in margin_keys(entry))
        and is_count(entry.get("windows"))
        for name, entry in value.items()
    )


_MANIFEST_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    # key: (test, what it must be); keys after weights_sha256 are optional
    "config": (lambda v: isinstance(v, dict), "an object of settings"),
    "network": (lambda v: isinstance(v, dict), "an object describing the network"),
    "schema": (_is_schema, "a data schema (layout wide or long, time_col, id_col, targets, freq)"),
    "lookback": (is_count, "a positive whole number"),
    "horizon": (is_count, "a positive whole number"),
    "series": (lambda v: isinstance(v, dict) and len(v) >= 1, "an object with an entry per series"),
    "weights_sha256": (lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
                       "a hex SHA-256"),
    "season": (is_count, "a positive whole number"),
    "season_source": (lambda v: v in ("given", "frequency", "detected", "none"),
                      '"given", "frequency", "detected" or "none"'),
    "quantiles": (lambda v: isinstance(v, list) and all(_is_number(q) and 0 < q < 1 for q in v),
                  "a list of levels between 0 and 1"),
    "versions": (lambda v: isinstance(v, dict), "an object of versions"),
    "history": (_is_history, "a list of epochs with their losses"),
    "validation": (_is_scores, "an object of scores"),
    "best_epoch": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an epoch number"),
    "stopped": (lambda v: isinstance(v, str), "a reason"),
    "refit_epochs": (lambda v: isinstance(v, list) and all(is_count(e) for e in v), "a list of epoch counts"),
    "calibration": (_is_calibration, "an object of interval levels (%), each with a method (split or cqr), "
                                     "finite margins and a count of windows"),
    "error_ratio": (lambda v: v is None or _is_positive(v), "a positive number or null"),
    "transform": (lambda v: v in ("log", "none"), '"log" or "none"'),
    "theta_share": (lambda v: _is_number(v) and 0 <= v <= 1, "a number from 0 to 1"),
    "training_threads": (lambda v: v is None or is_count(v), "a positive whole number or null"),
}


def manifest_problem(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's values, in words; None when nothing is."""
    for key, (test, expected) in _MANIFEST_FIELDS.items():
        if key in manifest and not test(manifest[key]):
            return f"{key} is {_shown(manifest[key])}, expected {expected}"
    for series_id, info in manifest["series"].items():
        problem = _series_problem(series_id, info)
        if problem:
            return problem
    if manifest["network"].get("horizon") != manifest["horizon"]:
        return f"horizon {manifest['horizon']!r} differs from the network's {_shown(manifest['network'].get('horizon'))}"
    segment = manifest["network"].get("segment", 1)  # saved before segments: step-wise
    if not is_count(segment) or manifest["lookback"] % segment:
        return (f"the network's segment {_shown(segment)} does not divide lookback {manifest['lookback']!r}; "
                "expected a positive whole number of steps that does")
    decoder = manifest["network"].get("decoder", "direct")  # saved before parallel decoding: the linear head
    if decoder not in DECODERS:
        return f"the network's decoder is {_shown(decoder)}, expected one of {', '.join(DECODERS)}"
    for name, entry in manifest.get("calibration", {}).items():
        for key in margin_keys(entry):
            if len(entry[key]) != manifest["horizon"]:
                kind = "" if key == "margins" else f"{key} "
                return (f"calibration level {name!r} has {len(entry[key])} {kind}margins, expected one per horizon "
                        f"step ({manifest['horizon']})")
    return None


def _shown(value: object, limit: int = 80) -> str:
    text = json.dumps(value, allow_nan=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def time_problem(manifest: dict[str, Any]) -> str | None:
    """A frequency or training end in the manifest that pandas cannot read, in words; None when all read."""
    import pandas as pd

    from forecaster.data.timeaxis import STEPS, offset_of

    freq = manifest["schema"]["freq"]
    if freq != STEPS:
        try:
            offset_of(freq)
        except ValueError:
            return f"the schema's freq {freq!r} is not a pandas frequency"
    for series_id, info in manifest["series"].items():
        end = info["training_end"]
        if freq == STEPS:
            readable = isinstance(end, int)
        else:
            try:
                readable = isinstance(end, str) and pd.Timestamp(end) is not pd.NaT
            except (ValueError, OverflowError):
                readable = False
        if not readable:
            return f"series {series_id!r} has training_end {end!r}, not a {'step' if freq == STEPS else 'timestamp'}"
    return None
