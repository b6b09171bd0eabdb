"""Benchmark: load + validate N synthetic records end to end, as `iombib validate` does.

Usage: python3 bench/bench_validate.py [N ...]   (default: 1000 100000)

Each size runs in a fresh process (`python -m iombib validate DIR`), timed from process start to
exit, so interpreter start-up, imports, worker processes and output are all counted. Peak memory
is the maximum resident set of the process and of its largest worker.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_catalogue


def run(count: int) -> None:
    """Generate, validate and print one line of figures for ``count`` records."""
    with tempfile.TemporaryDirectory(prefix="iombib-bench-") as tmp:
        directory = write_catalogue(Path(tmp) / "records", count)
        size = sum(p.stat().st_size for p in directory.glob("*.yaml")) / count
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "iombib", "validate", str(directory)],
                                capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        status = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        print(f"N={count:>7}  {elapsed:7.2f} s  {count / elapsed:8.0f} records/s  "
              f"peak RSS {peak_mb:6.0f} MB  ({size:.0f} bytes/record, {os.cpu_count()} cores, "
              f"{status}: {result.stderr.strip().splitlines()[-1] if result.stderr else ''})")


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000, 100000]:
        run(n)
