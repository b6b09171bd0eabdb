"""Benchmark: `iombib export --to FORMAT DIR -o FILE` end to end on N synthetic records.

Usage: python3 bench/bench_export.py [--formats bibtex,ris,...] [N ...]   (default: 1000 100000)

For each size a synthetic catalogue is written once; then, for each format, a fresh process
(`python -m iombib export`) is timed from start to exit twice: "cold", with an empty cache, so
every YAML file is parsed and checked, and "warm", the usual case of a catalogue that changed
little since the last command, where unchanged files come from the parsed-record cache. Peak
memory is the largest resident set of the process or any of its workers; CPU time (user and
system, of the process and its workers) tells how much of the wall time is the export's own
work on a machine that other jobs share.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_catalogue  # noqa: E402

from iombib import formats  # noqa: E402


def _age(directory: Path) -> None:
    """Date the files a minute back, as files not edited just now are (see iombib.cache)."""
    past = time.time() - 60
    for path in directory.iterdir():
        os.utime(path, (past, past))


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user and system, process and workers), peak RSS in MB (the
    largest of the process and its workers) and a status of one command."""
    start = time.perf_counter()
    wrapped = [sys.executable, "-c", _MEASURE, *command]
    result = subprocess.run(wrapped, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    cpu, peak = (float(v) for v in result.stdout.split()[-2:]) if result.returncode == 0 \
        else (0.0, 0.0)
    status = "ok" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr[-300:]}"
    return elapsed, cpu, peak, status


# Runs the command as a child and prints the CPU time of it and its workers (in seconds) and
# the largest RSS among them (in MB).
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
sys.exit(code)
"""


def bench(count: int, names: list[str]) -> None:
    """Print one line per format and cache state for ``count`` records."""
    with tempfile.TemporaryDirectory(prefix="iombib-bench-") as tmp:
        directory = write_catalogue(Path(tmp) / "records", count)
        _age(directory)
        cache_dir = Path(tmp) / "cache"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "IOMBIB_CACHE_DIR": str(cache_dir)}
        env.pop("IOMBIB_NO_CACHE", None)
        for name in names:
            output = Path(tmp) / f"out.{name}"
            command = [sys.executable, "-m", "iombib", "export", "--to", name, str(directory),
                       "-o", str(output)]
            for state in ("cold", "warm"):
                if state == "cold":
                    shutil.rmtree(cache_dir, ignore_errors=True)
                elapsed, cpu, peak, status = _run(command, env)
                size = output.stat().st_size / 1e6 if output.exists() else 0.0
                print(f"N={count:>7}  {name:<9} {state}  {elapsed:7.2f} s  "
                      f"{count / elapsed:8.0f} records/s  CPU {cpu:7.2f} s  "
                      f"peak RSS {peak:6.0f} MB  output {size:7.1f} MB  {status}", flush=True)


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 100000])
    parser.add_argument("--formats", default=",".join(formats.names()))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for count in args.sizes:
        bench(count, args.formats.split(","))


if __name__ == "__main__":
    main()
