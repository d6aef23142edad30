"""Writes /data/dataset.csv: y = 3x + 2 plus noise, seeded, so every run of
the sample trains on the same data."""
import os
import random

rows = int(os.environ.get("DATASET_ROWS", "2000"))
rng = random.Random(42)
tmp = "/data/dataset.csv.tmp"
with open(tmp, "w") as f:
    f.write("x,y\n")
    for _ in range(rows):
        x = rng.uniform(-1.0, 1.0)
        f.write(f"{x:.6f},{3.0 * x + 2.0 + rng.gauss(0.0, 0.1):.6f}\n")
os.replace(tmp, "/data/dataset.csv")
print(f"dataset-prepare: wrote {rows} rows to /data/dataset.csv")
