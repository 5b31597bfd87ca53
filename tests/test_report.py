"""Tables and words for people: numbers, the season's and the Theta share's origin, `info`'s tables."""

import io
import json

import pytest
from rich.console import Console

from forecaster import Forecaster, report

from conftest import TINY, daily_cycle


@pytest.mark.parametrize(("value", "shown"), [
    (None, "-"), (3, "3"), (float("nan"), "n/a"), (float("inf"), "n/a"), (0.0, "0.0000"), (0.12345, "0.1235"),
    (1234.5, "1234"), (123456.0, "1.235e+05"), (0.0001234, "1.234e-04"),
])
def test_numbers_are_compact(value, shown):
    assert report.number(value) == shown


def test_the_season_and_theta_share_say_who_chose_them():
    assert report.season_source("given", "h") == "given with --season"
    assert report.season_source("frequency", "h") == "from the frequency h"
    assert report.season_source(None, "h") == "-"
    assert report.theta_share(0.5, None, 40) == "0.5 (best on validation)"
    assert report.theta_share(0.5, None, None) == "0.5 (best on validation)"  # a model saved before the count
    assert report.theta_share(0.0, 0.0, 1) == "0 (given)"
    assert report.theta_share(0.0, None, 7) == "0 (too few validation windows to choose)"


def test_info_tables_show_the_model(tmp_path):
    model = Forecaster(**TINY, holdout=24).fit(daily_cycle(24 * 12, 0.1, seed=0))
    manifest = json.loads(json.dumps({**model.state_.to_manifest(), "format_version": 1, "weights_sha256": "ab" * 32}))
    tables = report.info_tables(manifest, "models/m")
    assert [table.title for table in tables][1:] == ["settings", f"training history (last "
                                                     f"{min(10, len(manifest['history']))} of "
                                                     f"{len(manifest['history'])} epochs)", "validation"]
    console = Console(record=True, width=200)
    for table in tables:
        console.print(table)
    text = console.export_text()
    assert "model models/m" in text and "lookback / horizon / season" in text
    assert f"{model.lookback_} / {model.horizon_} / {model.season_}" in text and "ab" * 32 in text
    segment, decoder = model.net_.shape.segment, model.net_.shape.decoder
    assert f"dropout 0.0, segment {segment}, decoder {decoder}" in text
    del manifest["network"]["segment"], manifest["network"]["decoder"]  # as an older release saved it
    console = Console(record=True, width=200)
    console.print(report.info_tables(manifest, "models/m")[0])
    assert "segment 1, decoder direct" in console.export_text()


def test_training_progress_names_each_network_of_an_ensemble():
    from forecaster.report import TrainingProgress
    from forecaster.training import EpochRecord

    def drawn(networks: int) -> str:
        out = io.StringIO()
        progress = TrainingProgress(Console(file=out, force_terminal=True, width=120))
        for _ in range(networks):
            progress.on_train_start(epochs=2, batches_per_epoch=1)
            progress.on_epoch_end(EpochRecord(1, 0.5, 0.4, 1e-3, 0.1), best=True)
        progress.close()
        return out.getvalue()

    assert "network" not in drawn(1)
    shown = drawn(3)
    assert all(f"network {k} epoch" in shown for k in (1, 2, 3))
