#!/usr/bin/python3
"""Compares two bench/run_all result files line by line.

Lines match on (bench, metric) plus every parameter except run-dependent
ones (timings of the run itself). Prints old, new and new/old per metric.
usage: bench/compare.py OLD.jsonl NEW.jsonl
"""
import json
import sys

VOLATILE = {"value", "unit", "elapsed_s", "started", "commit"}


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            key = tuple(sorted((k, str(v)) for k, v in obj.items() if k not in VOLATILE))
            rows[key] = obj
    return rows


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    old, new = load(sys.argv[1]), load(sys.argv[2])
    print(f"{'bench':<20} {'metric':<32} {'params':<40} {'old':>12} {'new':>12} {'new/old':>8}")
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        ref = n or o
        params = ",".join(f"{k}={v}" for k, v in key if k not in ("bench", "metric"))[:40]
        ov = o["value"] if o else None
        nv = n["value"] if n else None
        ratio = f"{nv / ov:8.3f}" if (ov and nv is not None and ov != 0) else "       -"
        fmt = lambda v: f"{v:12.4g}" if isinstance(v, (int, float)) else f"{'-':>12}"
        print(f"{ref['bench']:<20} {ref['metric']:<32} {params:<40} {fmt(ov)} {fmt(nv)} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
