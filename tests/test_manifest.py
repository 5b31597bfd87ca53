"""What a valid config.json holds: each value checked by type and range, a bad one named."""

import copy
import json

import pytest

from forecaster import Forecaster
from forecaster.manifest import manifest_problem, time_problem

from conftest import TINY, daily_cycle


@pytest.fixture(scope="module")
def manifest():
    model = Forecaster(**TINY, holdout=24, levels=[80]).fit(daily_cycle(24 * 12, 0.1, seed=0))
    saved = {**model.state_.to_manifest(), "format_version": 1, "weights_sha256": "0" * 64}
    return json.loads(json.dumps(saved))


def changed(manifest, edit):
    edited = copy.deepcopy(manifest)
    edit(edited)
    return edited


def test_a_saved_manifest_has_no_problem(manifest):
    assert manifest_problem(manifest) is None and time_problem(manifest) is None


@pytest.mark.parametrize(("edit", "named"), [
    (lambda m: m.update(lookback=0), "lookback is 0, expected a positive whole number"),
    (lambda m: m.update(theta_share=1.5), "theta_share is 1.5, expected a number from 0 to 1"),
    (lambda m: m.update(transform="sqrt"), 'transform is "sqrt", expected "log" or "none"'),
    (lambda m: m.update(training_threads=0), "training_threads is 0, expected a positive whole number or null"),
    (lambda m: m.update(training_threads=True), "training_threads is true"),
    (lambda m: m.update(training_threads="2"), 'training_threads is "2"'),
    (lambda m: m["history"][0].pop("val_loss"), "history is"),
    (lambda m: m["schema"].update(layout="tall"), "schema is"),
    (lambda m: m["series"]["load"]["scaler"].update(scale=0), "series 'load' has scaler"),
    (lambda m: m["series"]["load"].update(error_scale=-1), "series 'load' has error_scale -1"),
    (lambda m: m["network"].update(horizon=5), "horizon 24 differs from the network's 5"),
    (lambda m: m["network"].update(decoder="beam"), "the network's decoder is \"beam\", expected one of direct, parallel"),
    (lambda m: m["calibration"]["80"]["lower"].pop(), "calibration level '80' has 23 lower margins"),
])
def test_each_bad_value_is_named(manifest, edit, named):
    problem = manifest_problem(changed(manifest, edit))
    assert problem is not None and problem.startswith(named), problem


def test_unreadable_times_are_named(manifest):
    assert time_problem(changed(manifest, lambda m: m["schema"].update(freq="often"))) == (
        "the schema's freq 'often' is not a pandas frequency")
    problem = time_problem(changed(manifest, lambda m: m["series"]["load"].update(training_end="soon")))
    assert problem == "series 'load' has training_end 'soon', not a timestamp"
