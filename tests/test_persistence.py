import dataclasses
import fcntl
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecaster import Forecaster, files, loading, persistence
from forecaster.errors import ModelFileError
from forecaster.model import RecurrentForecaster
from forecaster.loading import CONFIG_FILE, FORMAT_VERSION, WEIGHTS_FILE, read_manifest
from forecaster.persistence import file_sha256
from forecaster.threads import threads_limited

from conftest import TINY
from conftest import invoke, ok, user_error


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
    with pytest.raises(ModelFileError, match="`force`"):
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
    model.state_ = dataclasses.replace(
        model.state_, net=RecurrentForecaster(dataclasses.replace(model.net_.shape, season_changes=False)).eval())
    model.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    del manifest["network"]["season_changes"]
    (tmp_path / "m" / CONFIG_FILE).write_text(json.dumps(manifest))
    loaded = Forecaster.load(tmp_path / "m")
    assert not loaded.net_.shape.season_changes
    pd.testing.assert_frame_equal(loaded.predict(frame), model.predict(frame))


def test_a_segment_wise_model_round_trips_with_its_segment(tmp_path):
    frame = pd.DataFrame({"value": np.sin(np.arange(200) / 4)})
    model = Forecaster(**TINY, segment=4, horizon=6).fit(frame)
    assert model.net_.shape.segment == 4 and model.lookback_ % 4 == 0  # the automatic lookback: whole segments
    model.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    assert manifest["network"]["segment"] == 4 and manifest["config"]["segment"] == 4
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.net_.shape == model.net_.shape and loaded.config.segment == 4
    pd.testing.assert_frame_equal(loaded.predict(frame), model.predict(frame))


def test_a_parallel_decoding_model_round_trips_with_its_decoder(tmp_path):
    frame = pd.DataFrame({"value": np.sin(np.arange(200) / 4)})
    model = Forecaster(**TINY, segment=4, decoder="parallel", horizon=6).fit(frame)
    assert model.net_.shape.decoder == "parallel"
    model.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / CONFIG_FILE).read_text())["network"]["decoder"] == "parallel"
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.net_.shape == model.net_.shape and loaded.config.decoder == "parallel"
    pd.testing.assert_frame_equal(loaded.predict(frame), model.predict(frame))


SAVED = Path(__file__).parent / "saved"


def test_a_format_1_model_of_the_last_release_forecasts_as_it_did(tmp_path):
    loaded = Forecaster.load(SAVED / "format1_energy")
    assert read_manifest(SAVED / "format1_energy")["format_version"] == 1  # the file's own version, for `info`
    assert loaded.config.segment == 1 and loaded.net_.shape.segment == 1 and loaded.net_.shape.decoder == "direct"
    frame = pd.read_csv(Path(__file__).parents[1] / "sample_data" / "energy_hourly.csv", parse_dates=["timestamp"])
    forecast = loaded.predict(frame[["timestamp", "load"]])
    expected = pd.read_csv(SAVED / "format1_energy_forecast.csv", parse_dates=["timestamp"])
    assert forecast["timestamp"].iloc[0] == pd.Timestamp("2024-04-30 00:00")
    np.testing.assert_allclose(forecast[["forecast", "q0.1", "q0.9"]].to_numpy(),
                               expected[["forecast", "q0.1", "q0.9"]].to_numpy(), rtol=1e-5)
    loaded.save(tmp_path / "m")  # saved again: today's format, the setting written out
    manifest = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["config"]["segment"] == 1 and manifest["config"]["ensemble"] == 1
    assert manifest["config"]["refit"] is False and manifest["refit_epochs"] == []


def test_a_format_2_model_keeps_its_number_of_networks(saved, tmp_path):
    path = copy_of(saved, tmp_path)
    manifest = json.loads((path / CONFIG_FILE).read_text())
    manifest["format_version"] = 2
    del manifest["config"]["ensemble"]  # format 2 always wrote it; absent, it was its default: one network
    (path / CONFIG_FILE).write_text(json.dumps(manifest))
    loaded = Forecaster.load(path)
    assert loaded.config.ensemble == 1 and loaded.net_.shape.members == 1


def test_a_format_3_model_was_not_refitted_and_says_so(saved, tmp_path):
    path = copy_of(saved, tmp_path)
    manifest = json.loads((path / CONFIG_FILE).read_text())
    manifest["format_version"] = 3
    del manifest["config"]["refit"], manifest["refit_epochs"]  # what format 3 saved
    (path / CONFIG_FILE).write_text(json.dumps(manifest))
    loaded = Forecaster.load(path)
    assert loaded.config.refit is False and loaded.result_.refit_epochs == []


def test_the_training_threads_are_saved_and_unknown_where_not_recorded(saved, tmp_path):
    with threads_limited(1):
        Forecaster(**TINY).fit(pd.DataFrame({"value": np.sin(np.arange(200) / 4)})).save(tmp_path / "one")
    assert Forecaster.load(tmp_path / "one").result_.threads == 1
    path = copy_of(saved, tmp_path)
    manifest = json.loads((path / CONFIG_FILE).read_text())
    del manifest["training_threads"]  # what models saved before it was recorded lack
    (path / CONFIG_FILE).write_text(json.dumps(manifest))
    assert Forecaster.load(path).result_.threads is None


def test_the_refit_epochs_are_saved_and_read_back(tmp_path):
    model = Forecaster(**TINY, refit=True).fit(pd.DataFrame({"value": np.sin(np.arange(200) / 4)}))
    model.save(tmp_path / "m")
    epochs = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())["refit_epochs"]
    assert epochs == model.result_.refit_epochs != []
    assert Forecaster.load(tmp_path / "m").result_.refit_epochs == epochs


def test_a_model_saved_before_segments_loads_step_wise(saved, tmp_path):
    path = copy_of(saved, tmp_path)
    manifest = json.loads((path / CONFIG_FILE).read_text())
    manifest["format_version"] = 1
    for part in ("network", "config"):  # what an older release saved
        del manifest[part]["segment"], manifest[part]["decoder"]
    (path / CONFIG_FILE).write_text(json.dumps(manifest))
    loaded = Forecaster.load(path)
    assert loaded.net_.shape.segment == 1 and loaded.config.segment == 1
    assert loaded.net_.shape.decoder == "direct" and loaded.config.decoder == "direct"
    frame = pd.DataFrame({"value": np.sin(np.arange(200) / 4)})
    pd.testing.assert_frame_equal(loaded.predict(frame), Forecaster.load(saved).predict(frame))


# ------------------------------------------------- issue 18: what --force may replace, races, signals
def tree(directory) -> dict[str, bytes | None]:
    """Every path under `directory` with its bytes (None for a folder): what must stay untouched."""
    return {str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes() for p in sorted(directory.rglob("*"))}


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "data.csv"
    time_index = pd.date_range("2024-01-01", periods=120, freq="h")
    pd.DataFrame({"date": time_index, "v": 2 + np.sin(np.arange(120) / 3)}).to_csv(path, index=False)
    return path


CLI_TINY = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--batch-size", "64", "--lookback", "6",
            "--horizon", "3", "--quiet"]


def test_train_force_never_replaces_a_folder_that_is_not_a_model(csv_data, tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.py").write_text("print('mine')\n")
    shutil.copy(csv_data, project / "data.csv")
    before = tree(project)
    for force in ([], ["--force"]):
        result = invoke("train", project / "data.csv", *CLI_TINY, "--out", project, *force)
        user_error(result, str(project), "not a forecaster model directory (it holds data.csv, src)",
                   "choose another --out")
    assert tree(project) == before and sorted(os.listdir(tmp_path)) == ["project"]


@pytest.mark.parametrize(("planted", "said"), [
    (lambda d: (d / "notes.txt").write_text("mine"), "it holds notes.txt"),
    (lambda d: (d / CONFIG_FILE).write_text('{"name": "my app settings"}'),
     "its config.json is not a forecaster model config"),
    (lambda d: (d / CONFIG_FILE).unlink(), "model.safetensors without config.json"),
    (lambda d: ((d / CONFIG_FILE).unlink(), (d / CONFIG_FILE).mkdir()), "not a regular file"),
])
def test_a_model_directory_with_anything_foreign_is_not_replaced(saved, csv_data, tmp_path, planted, said):
    target = copy_of(saved, tmp_path)
    planted(target)
    before = tree(target)
    user_error(invoke("train", csv_data, *CLI_TINY, "--out", target, "--force"), str(target), said)
    assert tree(target) == before and sorted(os.listdir(tmp_path)) == ["copy"]


def test_force_replaces_a_model_an_incomplete_model_and_an_empty_folder(saved, csv_data, tmp_path):
    complete, incomplete, empty = copy_of(saved, tmp_path), tmp_path / "incomplete", tmp_path / "empty"
    shutil.copytree(saved, incomplete)
    (incomplete / WEIGHTS_FILE).unlink()
    empty.mkdir()
    user_error(invoke("train", csv_data, *CLI_TINY, "--out", empty), str(empty), "an empty folder exists there",
               "--force")
    for target in (complete, incomplete, empty):
        ok(invoke("train", csv_data, *CLI_TINY, "--hidden-size", "4", "--out", target, "--force"))
        assert json.loads((target / CONFIG_FILE).read_text())["config"]["hidden_size"] == 4
        assert sorted(os.listdir(target)) == [CONFIG_FILE, WEIGHTS_FILE]
    assert sorted(os.listdir(tmp_path)) == ["copy", "empty", "incomplete"]


def test_a_symlinked_out_is_refused_and_left_alone(saved, csv_data, tmp_path):
    real = copy_of(saved, tmp_path)
    (tmp_path / "link").symlink_to(real)
    before = tree(real)
    user_error(invoke("train", csv_data, *CLI_TINY, "--out", tmp_path / "link", "--force"), "is a symbolic link")
    assert (tmp_path / "link").is_symlink() and tree(real) == before


@pytest.mark.parametrize("without_renameat2", [False, True], ids=["renameat2", "two-renames"])
def test_a_folder_that_turned_foreign_during_training_is_put_back_at_the_swap(saved, tmp_path, monkeypatch,
                                                                             without_renameat2):
    # check_writable passed before training; by the time of the swap the user had put a file there.
    target = copy_of(saved, tmp_path)
    (target / "notes.txt").write_text("mine")
    before = tree(target)
    monkeypatch.setattr(persistence, "check_writable", lambda path, force: None)
    if without_renameat2:
        monkeypatch.setattr(files, "_RENAMEAT2", None)
    with pytest.raises(ModelFileError, match="it holds notes.txt"):
        Forecaster.load(saved).save(target, force=True)
    assert tree(target) == before and sorted(os.listdir(tmp_path)) == ["copy"]


WRITERS, TRIALS = 4, 5


def _race_to_save(index, source, targets, barrier, results, without_renameat2):
    if without_renameat2:
        files._RENAMEAT2 = None  # the mkdir-claim fallback
    model = Forecaster.load(source)
    manifest = {**model.state_.to_manifest(), "writer": index}
    for trial, target in enumerate(targets):
        barrier.wait(timeout=60)
        try:
            persistence.save_model(Path(target), manifest, model.net_.state_dict())
            results.put((trial, index, "ok"))
        except ModelFileError as exc:
            results.put((trial, index, str(exc)))


@pytest.mark.parametrize("without_renameat2", [False, True], ids=["renameat2", "mkdir-claim"])
def test_of_saves_racing_to_a_new_directory_exactly_one_wins(saved, tmp_path, without_renameat2):
    context = multiprocessing.get_context("fork")  # everything is imported already: the children start at once
    barrier, results = context.Barrier(WRITERS), context.Queue()
    targets = [str(tmp_path / f"m{trial}") for trial in range(TRIALS)]
    processes = [context.Process(target=_race_to_save, args=(i, saved, targets, barrier, results, without_renameat2))
                 for i in range(WRITERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(WRITERS * TRIALS)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for trial, target in enumerate(targets):
        mine = [(index, outcome) for t, index, outcome in outcomes if t == trial]
        [winner] = [index for index, outcome in mine if outcome == "ok"]
        assert all("exists" in outcome and "`force`" in outcome for index, outcome in mine if index != winner), mine
        assert read_manifest(Path(target))["writer"] == winner
        Forecaster.load(target)  # whole: the checksum holds
    assert sorted(os.listdir(tmp_path)) == [f"m{trial}" for trial in range(TRIALS)]


@pytest.mark.slow
def test_of_cli_trainings_racing_to_a_new_out_one_saves_and_the_others_exit_2(csv_data, tmp_path):
    target = tmp_path / "m"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen([sys.executable, "-m", "forecaster", "train", str(csv_data), *CLI_TINY,
                                   "--seed", str(seed), "--out", str(target)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for seed in range(2)]
    finished = [(process.wait(timeout=300), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert sorted(code for code, _ in finished) == [0, 2], finished
    assert all(f"error: {target}:" in stderr and "exists" in stderr for code, stderr in finished if code == 2)
    assert sorted(os.listdir(target)) == [CONFIG_FILE, WEIGHTS_FILE] and os.listdir(tmp_path) == ["m"]
    Forecaster.load(target)


def _save_over_and_over(target, models, stop):
    while not stop.is_set():
        for manifest, tensors in models:
            persistence.save_model(Path(target), manifest, tensors, force=True)


def test_a_reader_during_repeated_forced_saves_always_sees_one_whole_model(tmp_path):
    frame = pd.DataFrame({"value": np.sin(np.arange(200) / 4)})
    fitted = [Forecaster(**TINY, seed=seed).fit(frame) for seed in (0, 1)]
    models = [(model.state_.to_manifest(), model.net_.state_dict()) for model in fitted]
    target = tmp_path / "m"
    persistence.save_model(target, *models[0])
    weights = {read_manifest(target)["weights_sha256"]: models[0][1]}
    persistence.save_model(target, *models[1], force=True)
    weights[read_manifest(target)["weights_sha256"]] = models[1][1]
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    writer = context.Process(target=_save_over_and_over, args=(target, models, stop))
    writer.start()
    loads, seen = 0, set()
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            manifest, tensors = loading.load_model(target)  # a false "checksum mismatch" raises here
            expected = weights[manifest["weights_sha256"]]
            assert all(torch.equal(tensors[name], expected[name]) for name in expected)
            loads += 1
            seen.add(manifest["weights_sha256"])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert writer.exitcode == 0 and loads >= 50 and len(seen) == 2
    assert os.listdir(tmp_path) == ["m"]


# A child that trains through the real CLI with --force and is sent SIGNAL in the middle of the swap:
# right after renameat2's exchange, or (without renameat2) right after the old model was moved aside.
_SIGNALLED_AT_THE_SWAP = """
import os, sys
from pathlib import Path
import forecaster.files as files
from forecaster.cli import main

number, mode, target = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
if mode == "two-renames":
    files._RENAMEAT2 = None
    rename = os.replace

    def replace_then_signal(source, destination):
        rename(source, destination)
        if Path(source) == target:
            os.kill(os.getpid(), number)

    files.os.replace = replace_then_signal
else:
    exchange = files._renameat2

    def exchange_then_signal(source, destination, flags):
        done = exchange(source, destination, flags)
        os.kill(os.getpid(), number)
        return done

    files._renameat2 = exchange_then_signal
sys.argv = ["forecaster", "train", *sys.argv[4:], "--out", str(target), "--force"]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize(("number", "mode"), [(signal.SIGINT, "renameat2"), (signal.SIGTERM, "renameat2"),
                                              (signal.SIGINT, "two-renames")],
                         ids=["SIGINT-renameat2", "SIGTERM-renameat2", "SIGINT-two-renames"])
def test_a_signal_in_the_middle_of_a_forced_save_loses_neither_model(saved, csv_data, tmp_path, mode, number):
    target = copy_of(saved, tmp_path)
    process = subprocess.run([sys.executable, "-c", _SIGNALLED_AT_THE_SWAP, str(int(number)), mode, str(target),
                              str(csv_data), *CLI_TINY, "--hidden-size", "4"],
                             capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    # The signal waits for the swap to end, then acts: Ctrl-C exits 130, SIGTERM ends the process as it would.
    expected = (130,) if number == signal.SIGINT else (-signal.SIGTERM, 128 + signal.SIGTERM)
    assert process.returncode in expected, process.stderr
    assert sorted(os.listdir(tmp_path)) == ["copy"]  # nothing hidden in .copy.PID.*.old or .partial
    assert sorted(os.listdir(target)) == [CONFIG_FILE, WEIGHTS_FILE]
    assert json.loads((target / CONFIG_FILE).read_text())["config"]["hidden_size"] == 4  # the new model, whole
    Forecaster.load(target)


def test_a_model_set_aside_by_a_writer_whose_process_id_lives_again_is_still_reported(saved, tmp_path):
    aside = tmp_path / ".m.1.abcd1234.old"  # process id 1 is alive, but holds no lock on it
    shutil.copytree(saved, aside / "m")
    with pytest.raises(ModelFileError, match="an interrupted save left the previous model in .*; move it back"):
        Forecaster.load(tmp_path / "m")
    assert (aside / "m" / CONFIG_FILE).is_file()
