import dataclasses
import fcntl
import json
import os
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster
from forecaster.errors import ModelFileError
from forecaster.model import RecurrentForecaster
from forecaster.persistence import CONFIG_FILE, FORMAT_VERSION, WEIGHTS_FILE, file_sha256, read_manifest

from conftest import TINY


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    frame = pd.DataFrame({"value": np.sin(np.arange(200) / 4)})
    model = Forecaster(**TINY).fit(frame)
    path = tmp_path_factory.mktemp("models") / "m"
    model.save(path)
    return path


def copy_of(saved, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(saved, target)
    return target


def test_directory_holds_config_and_weights_with_their_checksum(saved):
    assert sorted(os.listdir(saved)) == [CONFIG_FILE, WEIGHTS_FILE]
    manifest = json.loads((saved / CONFIG_FILE).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["weights_sha256"] == file_sha256(saved / WEIGHTS_FILE)
    for key in ("versions", "config", "schema", "lookback", "horizon", "quantiles", "series", "season", "history", "validation"):
        assert key in manifest
    first = next(iter(manifest["series"].values()))
    assert set(first) >= {"scaler", "training_end", "mase_scale"}


def test_no_staging_directory_is_left_behind(saved):
    assert [p.name for p in saved.parent.iterdir()] == ["m"]


def test_existing_directory_is_kept_without_force_and_replaced_with_it(saved, tmp_path):
    target = copy_of(saved, tmp_path)
    model = Forecaster.load(target)
    with pytest.raises(ModelFileError, match="--force"):
        model.save(target)
    (target / "marker").write_text("old")
    # A file that is not a model's makes the directory more than a model: --force never deletes it (issue 18).
    with pytest.raises(ModelFileError, match="holds marker"):
        model.save(target, force=True)
    assert (target / "marker").read_text() == "old"
    (target / "marker").unlink()
    model.save(target, force=True)
    assert sorted(p.name for p in target.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


def test_a_failed_save_leaves_the_old_model_untouched(saved, tmp_path, monkeypatch):
    target = copy_of(saved, tmp_path)
    before = (target / CONFIG_FILE).read_text()
    model = Forecaster.load(target)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.torch.save_file", crash)
    with pytest.raises(ModelFileError, match="could not save the model \\(disk full\\)"):
        model.save(target, force=True)
    assert (target / CONFIG_FILE).read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


def test_changed_weights_are_refused(saved, tmp_path):
    target = copy_of(saved, tmp_path)
    data = bytearray((target / WEIGHTS_FILE).read_bytes())
    data[-1] ^= 0xFF
    (target / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        Forecaster.load(target)


def test_a_planted_pickle_is_never_run(saved, tmp_path):
    target = copy_of(saved, tmp_path)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    payload = pickle.dumps(Exploit())
    (target / WEIGHTS_FILE).write_bytes(payload)
    manifest = json.loads((target / CONFIG_FILE).read_text())
    manifest["weights_sha256"] = file_sha256(target / WEIGHTS_FILE)  # a careful attacker fixes the checksum too
    (target / CONFIG_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="safetensors"):
        Forecaster.load(target)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / CONFIG_FILE).write_text("{not json"), "not valid JSON"),
        (lambda d: (d / CONFIG_FILE).write_text(json.dumps({"hello": 1})), "not a forecaster model"),
        (lambda d: (d / CONFIG_FILE).unlink(), "no config.json"),
        (lambda d: (d / WEIGHTS_FILE).unlink(), "no model.safetensors"),
        (lambda d: (d / WEIGHTS_FILE).write_bytes((d / WEIGHTS_FILE).read_bytes()[:100]), "checksum"),
    ],
)
def test_damaged_directories_are_refused_clearly(saved, tmp_path, damage, message):
    target = copy_of(saved, tmp_path)
    damage(target)
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(target)


def test_a_future_format_version_is_refused(saved, tmp_path):
    target = copy_of(saved, tmp_path)
    manifest = json.loads((target / CONFIG_FILE).read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (target / CONFIG_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="newer"):
        read_manifest(target)


def test_a_config_that_does_not_fit_the_weights_is_refused(saved, tmp_path):
    target = copy_of(saved, tmp_path)
    manifest = json.loads((target / CONFIG_FILE).read_text())
    manifest["network"]["hidden_size"] = 99
    (target / CONFIG_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="do not fit together"):
        Forecaster.load(target)


def test_missing_directory(tmp_path):
    with pytest.raises(ModelFileError, match="no such model directory"):
        Forecaster.load(tmp_path / "nothing")


def test_a_live_writers_staging_is_kept_and_a_dead_ones_removed(saved, tmp_path):
    model = Forecaster.load(saved)
    live = tmp_path / ".m.999999999.abcd1234.partial"  # its writer holds the lock, whatever its process id
    dead = tmp_path / f".m.{os.getppid()}.abcd1234.partial"  # pytest's parent runs, but holds no lock: a reused id
    for staging in (live, dead):
        staging.mkdir()
        (staging / WEIGHTS_FILE).write_bytes(b"half")
    held = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        model.save(tmp_path / "m")
    finally:
        os.close(held)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", live.name])


def test_a_model_set_aside_by_a_killed_save_is_never_deleted(saved, tmp_path):
    aside = tmp_path / ".m.999999999.abcd1234.old"
    shutil.copytree(saved, aside / "m")
    with pytest.raises(ModelFileError, match="an interrupted save left the previous model in .*; move it back"):
        Forecaster.load(tmp_path / "m")
    with pytest.raises(ModelFileError, match="move it back"):
        Forecaster.load(saved).save(tmp_path / "m", force=True)
    assert (aside / "m" / CONFIG_FILE).is_file()


def test_a_seasonal_model_saved_before_season_changes_loads_and_forecasts(tmp_path):
    frame = pd.DataFrame({"value": np.tile([1.0, 5.0, 2.0, 8.0], 60) + np.arange(240) / 100})
    model = Forecaster(**TINY, season=4, window_norm="season").fit(frame)
    assert model.net_.shape.season_changes
    # What an older release saved: the encoder reads the channels only, and config.json has no such key.
    model.net_ = RecurrentForecaster(dataclasses.replace(model.net_.shape, season_changes=False)).eval()
    model.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    del manifest["network"]["season_changes"]
    (tmp_path / "m" / CONFIG_FILE).write_text(json.dumps(manifest))
    loaded = Forecaster.load(tmp_path / "m")
    assert not loaded.net_.shape.season_changes
    pd.testing.assert_frame_equal(loaded.predict(frame), model.predict(frame))
