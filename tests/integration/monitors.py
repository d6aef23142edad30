#!/usr/bin/env python3
"""Prints how many brick monitors run for the --root given: other tests may
run beside the caller, so a count of every monitor would not do."""
import os
import sys

root = sys.argv[1]
count = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        continue
    if b"container-monitor" in args and root.encode() in args:
        count += 1
print(count)
