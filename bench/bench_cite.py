"""Benchmark: a bibliography of N synthetic records with iombib, citeproc-js and pandoc.

Usage: python3 bench/bench_cite.py [--styles apa,chicago-author-date] [N ...]
(default: 1000 10000)

For each size a synthetic catalogue is written once and exported as CSL-JSON (which also fills
the parsed-record cache, so every iombib figure is the warm case of bench_export.py). Then, for
each style, in one run:

- ``iombib load``: `python -m iombib validate DIR`, a fresh process that loads and checks the
  catalogue as `cite` does, so that the citation cost is the difference to the next line;
- ``iombib cite``: `python -m iombib cite --style S --records DIR -o FILE`, a fresh process from
  start to exit (it renders the bibliography and one in-text citation per record), three
  times: ``cold`` with an empty rendering cache (:mod:`iombib.rendering_cache`), ``warm``
  right after, and ``1 edit`` after the title of one record was changed;
- ``citeproc-js``: the whole `node bench/citeproc_js.mjs` process over the exported items, and
  ``citeproc-js engine``, the part of it that builds the engine, registers the items, makes the
  bibliography and writes it (citeproc-js from tests/js/node_modules);
- ``pandoc``: `pandoc --citeproc --csl S --bibliography items.json -t plain` on a document that
  cites every item (``nocite: '@*'``), the whole process.

Each line is one measurement: wall seconds (entries/s are of those), CPU seconds (user and
system, of the process and its workers: the machine is shared, and CPU time is what other
work on it disturbs least); "entries" counts the entries found in the output. Peak RSS is
given for the iombib processes (largest resident set of the process or its workers), and the
machine's load average (one minute) when the measurement ended, since a busy machine slows the
two-process rendering most.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import citeproc  # noqa: E402
from bench_export import _age, _run  # noqa: E402
from synthetic import write_catalogue  # noqa: E402

from iombib import styles  # noqa: E402

RUNNER = ROOT / "bench" / "citeproc_js.mjs"
CITEPROC_JS = ROOT / "tests" / "js" / "node_modules" / "citeproc"


def _line(count: int, style: str, tool: str, seconds: float, cpu: float | None, entries: int,
          note: str = "") -> None:
    rate = entries / seconds if seconds else 0.0
    load = os.getloadavg()[0]
    cpu_text = f"{cpu:8.2f}" if cpu is not None else "       -"
    print(f"| {count:>6} | {style:<19} | {tool:<18} | {seconds:8.2f} | {cpu_text} | {rate:8.0f} "
          f"| {note}; load {load:.1f}", flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (user and system) of one command, and its result."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu, result


def _failed(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}: {result.stderr.strip()[-300:]}"


def _iombib(count: int, style: str, directory: Path, tmp: Path, env: dict[str, str]) -> None:
    """Three runs of `iombib cite`: with no rendering cache (cold), again (warm), and again
    after one record was edited."""
    output = tmp / f"iombib-{style}.txt"
    command = [sys.executable, "-m", "iombib", "cite", "--style", style, "--records",
               str(directory), "-o", str(output)]
    shutil.rmtree(Path(env["IOMBIB_CACHE_DIR"]) / "citations", ignore_errors=True)
    edited = directory / f"rec-{count // 2}.yaml"
    for tool in ("iombib cite cold", "iombib cite warm", "iombib cite 1 edit"):
        if tool == "iombib cite 1 edit":
            edited.write_text(edited.read_text(encoding="utf-8").replace(
                "\ntitle: ", f"\ntitle: {style} edition of ", 1), encoding="utf-8")
        elapsed, cpu, peak, status = _run(command, env)
        entries = sum(1 for line in output.open(encoding="utf-8") if line.strip()) \
            if status == "ok" else 0
        _line(count, style, tool, elapsed, cpu, entries, f"peak RSS {peak:.0f} MB; {status}")


def _citeproc_js(count: int, style: str, items: Path, tmp: Path) -> None:
    if shutil.which("node") is None or not CITEPROC_JS.is_dir():
        print(f"| {count:>6} | {style:<19} | citeproc-js not installed (node and "
              f"{CITEPROC_JS.relative_to(ROOT)}: `npm ci` in tests/js)")
        return
    locale = Path(citeproc.LOCALES_PATH) / "locales-en-US.xml"
    output = tmp / f"citeproc-js-{style}.txt"
    elapsed, cpu, result = _timed(["node", str(RUNNER), str(styles.find(style).path), str(locale),
                              str(items), str(output)])
    if result.returncode != 0:
        print(f"| {count:>6} | {style:<19} | citeproc-js        | {_failed(result)}")
        return
    report = json.loads(result.stdout)
    _line(count, style, "citeproc-js", elapsed, cpu, report["entries"], "whole node process")
    _line(count, style, "citeproc-js engine", report["engine_seconds"], None, report["entries"],
          "engine + output only")


def _pandoc(count: int, style: str, items: Path, tmp: Path) -> None:
    if shutil.which("pandoc") is None:
        print(f"| {count:>6} | {style:<19} | pandoc not installed (apt-get install pandoc)")
        return
    document = tmp / "nocite.md"
    document.write_text("---\nnocite: '@*'\n---\n", encoding="utf-8")
    output = tmp / f"pandoc-{style}.txt"
    elapsed, cpu, result = _timed(["pandoc", "--citeproc", "--csl", str(styles.find(style).path),
                              "--bibliography", str(items), "-t", "plain", "--wrap=none",
                              "-o", str(output), str(document)])
    if result.returncode != 0:
        print(f"| {count:>6} | {style:<19} | pandoc             | {_failed(result)}")
        return
    entries = sum(1 for block in output.read_text(encoding="utf-8").split("\n\n")
                  if block.strip())
    _line(count, style, "pandoc", elapsed, cpu, entries, "whole process")


def bench(count: int, names: list[str]) -> None:
    """Print the table rows of ``count`` records for each style."""
    with tempfile.TemporaryDirectory(prefix="iombib-bench-") as name:
        tmp = Path(name)
        directory = write_catalogue(tmp / "records", count)
        _age(directory)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
               "IOMBIB_CACHE_DIR": str(tmp / "cache")}
        env.pop("IOMBIB_NO_CACHE", None)
        items = tmp / "items.json"
        export = [sys.executable, "-m", "iombib", "export", "--to", "csljson", str(directory),
                  "-o", str(items)]
        *_, status = _run(export, env)
        if status != "ok":
            sys.exit(f"export of the synthetic catalogue failed: {status}")
        elapsed, cpu, peak, status = _run([sys.executable, "-m", "iombib", "validate",
                                           str(directory)], env)
        _line(count, "-", "iombib load", elapsed, cpu, count, f"peak RSS {peak:.0f} MB; {status}")
        for style in names:
            _iombib(count, style, directory, tmp, env)
            _citeproc_js(count, style, items, tmp)
            _pandoc(count, style, items, tmp)


def _versions() -> str:
    found = [f"Python {sys.version.split()[0]}", f"citeproc-py {metadata.version('citeproc-py')}"]
    if shutil.which("node") and (CITEPROC_JS / "package.json").is_file():
        package = json.loads((CITEPROC_JS / "package.json").read_text(encoding="utf-8"))
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
        found.append(f"citeproc-js {package['version']} (node {node.strip()})")
    if shutil.which("pandoc"):
        first = subprocess.run(["pandoc", "--version"], capture_output=True,
                               text=True).stdout.splitlines()
        found.append(first[0] if first else "pandoc (version unknown)")
    return ", ".join(found)


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--styles", default="apa,chicago-author-date")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {_versions()}")
    print("|      N | style               | tool               |  seconds |  CPU s   | entries/s "
          "| note")
    print("|-------:|---------------------|--------------------|---------:|---------:|---------:"
          "|---")
    for count in args.sizes:
        bench(count, args.styles.split(","))


if __name__ == "__main__":
    main()
