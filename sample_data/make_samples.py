"""Regenerate the sample files: `python sample_data/make_samples.py` (fixed seed, byte-identical output).

Synthetic but realistic shapes, one file per input format of SPEC §1:
- energy_hourly.csv   wide, hourly timestamps, two value columns, a few gaps to fill
- sales_daily.csv     wide, daily dates, three stores (one global model over three series)
- stores_long.csv     long `unique_id,ds,y`, four series of different lengths
- sensor_steps.csv    no time column: row order is the time axis
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def energy_hourly(rng: np.random.Generator) -> pd.DataFrame:
    time = pd.date_range("2024-03-01", periods=60 * 24, freq="h")
    hour, weekday = time.hour.to_numpy(), time.day_of_week.to_numpy()
    temperature = 12 + 6 * np.sin(2 * np.pi * (hour - 9) / 24) + np.cumsum(rng.normal(0, 0.15, len(time)))
    daily = np.exp(-((hour - 9) ** 2) / 8) + 1.3 * np.exp(-((hour - 19) ** 2) / 6)
    load = 50 + 25 * daily * np.where(weekday >= 5, 0.7, 1.0) - 0.6 * (temperature - 12) + rng.normal(0, 1.5, len(time))
    frame = pd.DataFrame({"timestamp": time, "load": load.round(2), "temperature": temperature.round(2)})
    frame.loc[[100, 101, 777], "load"] = np.nan  # empty cells, filled by --fill
    return frame.drop(index=[500, 1201])  # missing hours, inserted by the loader


def sales_daily(rng: np.random.Generator) -> pd.DataFrame:
    time = pd.date_range("2023-01-01", periods=730, freq="D")
    weekday, day = time.day_of_week.to_numpy(), np.arange(len(time))
    weekly = np.array([0.8, 0.85, 0.9, 1.0, 1.25, 1.5, 0.7])[weekday]
    yearly = 1 + 0.15 * np.sin(2 * np.pi * day / 365.25)
    stores = {}
    for name, level, growth in (("store_a", 120, 0.02), ("store_b", 80, 0.05), ("store_c", 200, -0.01)):
        trend = level * (1 + growth * day / 365)
        stores[name] = (trend * weekly * yearly * rng.lognormal(0, 0.08, len(time))).round(1)
    return pd.DataFrame({"date": time.strftime("%Y-%m-%d"), **stores})


def stores_long(rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for i, length in enumerate((365, 300, 240, 200)):
        time = pd.date_range(end="2024-12-31", periods=length, freq="D")
        weekly = np.array([1.0, 0.9, 0.95, 1.05, 1.2, 1.6, 1.3])[time.day_of_week]
        level = 20 + 10 * i + np.cumsum(rng.normal(0, 0.3, length))
        frames.append(pd.DataFrame({"unique_id": f"shop_{i + 1}", "ds": time.strftime("%Y-%m-%d"),
                                    "y": (level * weekly + rng.normal(0, 1, length)).round(2)}))
    return pd.concat(frames, ignore_index=True)


def sensor_steps(rng: np.random.Generator) -> pd.DataFrame:
    step = np.arange(400)
    value = 5 * np.sin(2 * np.pi * step / 25) + 0.01 * step + rng.normal(0, 0.4, len(step))
    return pd.DataFrame({"value": value.round(3)})


def main() -> None:
    rng = np.random.default_rng(20240301)
    energy_hourly(rng).to_csv(HERE / "energy_hourly.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    sales_daily(rng).to_csv(HERE / "sales_daily.csv", index=False)
    stores_long(rng).to_csv(HERE / "stores_long.csv", index=False)
    sensor_steps(rng).to_csv(HERE / "sensor_steps.csv", index=False)


if __name__ == "__main__":
    main()
