#!/usr/bin/env python3
"""Writes a realistic N-service compose file (default 200) for the `config` benchmarks.

The stack is layered like real ones: databases and caches at the bottom, APIs
that depend on them (some waiting for health), workers, and front-ends on top,
with ports, named volumes, binds, environment, healthchecks, and networks.
Deterministic: the same N always gives the same file.

usage: gen_stack.py [-n N] [-o FILE]
"""
import argparse
import random
import sys


def service(i, n, rng):
    tier = i % 4  # 0 data, 1 api, 2 worker, 3 frontend
    name = f"{['db', 'api', 'worker', 'web'][tier]}{i:04d}"
    lines = [f"  {name}:"]
    images = ["postgres:16", "python:3.12-slim", "python:3.12-slim", "nginx:1.25"]
    lines.append(f"    image: {images[tier]}")
    lines.append(f"    container_name: ${{PROJECT_PREFIX:-bench}}-{name}")
    lines.append("    restart: unless-stopped")
    lines.append("    environment:")
    lines.append(f"      SERVICE_NAME: {name}")
    lines.append("      LOG_LEVEL: ${LOG_LEVEL:-info}")
    lines.append(f"      DATABASE_URL: postgres://app:secret@db{(i - tier):04d}:5432/app")
    lines.append(f"      WORKERS: \"{rng.randint(1, 8)}\"")
    if tier != 0:
        lines.append("    depends_on:")
        lines.append(f"      db{(i - tier):04d}:")
        lines.append("        condition: service_healthy")
        if tier >= 2:
            lines.append(f"      api{(i - tier + 1):04d}:")
            lines.append("        condition: service_started")
    if tier in (1, 3):
        lines.append("    ports:")
        lines.append(f"      - \"{10000 + i}:{8080 if tier == 1 else 80}\"")
        if tier == 3:
            lines.append(f"      - \"127.0.0.1:{20000 + i}:443/tcp\"")
    lines.append("    volumes:")
    if tier == 0:
        lines.append(f"      - {name}-data:/var/lib/postgresql/data")
    else:
        lines.append(f"      - ./config/{name}:/etc/app:ro")
        lines.append("      - type: tmpfs\n        target: /tmp\n        tmpfs:\n          size: 64m")
    lines.append("    healthcheck:")
    if tier == 0:
        lines.append("      test: [\"CMD-SHELL\", \"pg_isready -U app\"]")
    else:
        lines.append(f"      test: [\"CMD\", \"curl\", \"-fsS\", \"http://localhost:{8080 if tier == 1 else 80}/health\"]")
    lines.append("      interval: 10s\n      timeout: 3s\n      retries: 5\n      start_period: 30s")
    lines.append("    networks:")
    lines.append("      - backend" if tier != 3 else "      - frontend\n      - backend")
    lines.append("    labels:\n      com.example.tier: \"%d\"" % tier)
    if tier == 2:
        lines.append("    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n          memory: 256M")
    return name, tier, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="number of services (default 200)")
    ap.add_argument("-o", default="-", help="output file (default stdout)")
    args = ap.parse_args()
    rng = random.Random(args.n)
    # No top-level `name:`: Debian's docker-compose 1.29 rejects it.
    out = ["services:"]
    volumes = []
    for i in range(args.n):
        name, tier, lines = service(i, args.n, rng)
        out += lines
        if tier == 0:
            volumes.append(name)
    out += ["networks:", "  frontend: {}", "  backend:", "    internal: true"]
    if volumes:
        out.append("volumes:")
        out += [f"  {v}-data: {{}}" for v in volumes]
    text = "\n".join(out) + "\n"
    if args.o == "-":
        sys.stdout.write(text)
    else:
        with open(args.o, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
