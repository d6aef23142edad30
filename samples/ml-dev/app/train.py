"""Fits y = w*x + b to /data/dataset.csv by stochastic gradient descent and
writes, per epoch, a checkpoint and a metrics line under /runs/$RUN_NAME.
Pure Python: it says which GPUs the container was given (device nodes and
NVIDIA_VISIBLE_DEVICES) but computes on the CPU either way."""
import glob
import json
import os
import random
import time

run = os.environ.get("RUN_NAME", "default")
epochs = int(os.environ.get("EPOCHS", "20"))
out = os.path.join("/runs", run)
os.makedirs(out, exist_ok=True)

gpus = sorted(glob.glob("/dev/nvidia[0-9]*"))
print(f"trainer[{run}]: GPU nodes {gpus or 'none'}, "
      f"NVIDIA_VISIBLE_DEVICES={os.environ.get('NVIDIA_VISIBLE_DEVICES', '')!r}")

with open("/data/dataset.csv") as f:
    next(f)
    data = [tuple(map(float, line.split(","))) for line in f]

w, b, lr = 0.0, 0.0, 0.05
rng = random.Random(0)


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.replace(tmp, path)


with open(os.path.join(out, "metrics.jsonl"), "w") as metrics:
    for epoch in range(1, epochs + 1):
        rng.shuffle(data)
        for x, y in data:
            err = w * x + b - y
            w -= lr * err * x
            b -= lr * err
        loss = sum((w * x + b - y) ** 2 for x, y in data) / len(data)
        metrics.write(json.dumps({"epoch": epoch, "loss": loss, "w": w, "b": b, "time": time.time()}) + "\n")
        metrics.flush()
        write_json(os.path.join(out, f"ckpt-{epoch:03d}.json"), {"epoch": epoch, "w": w, "b": b})
        print(f"trainer[{run}]: epoch {epoch} loss {loss:.5f}")

write_json(os.path.join(out, "summary.json"), {"run": run, "epochs": epochs, "w": w, "b": b, "gpus": gpus})
print(f"trainer[{run}]: done, w={w:.3f} b={b:.3f}")
