"""BibTeX: one entry per record, for classic BibTeX styles (plain, plainnat, ...) and JabRef.

The BibTeX and BibLaTeX writers and readers are this one module run in two :class:`Dialect`\\ s
(:mod:`iombib.formats.biblatex` is the other). Both build the same *canonical* fields (BibLaTeX
names) from one table, :data:`FIELDS`; a dialect then picks the entry type that can hold them,
renames the few fields that differ (``year``/``date``, ``address``/``location``, ``journal``
/``journaltitle``, ``institution``) and, for BibLaTeX, moves a field the chosen entry type's data
model lacks into a sentence of ``note`` that the reader parses back. Escaping is done here, not by
bibtexparser (whose encoding middleware mangles braces and URLs); bibtexparser 2 only parses.
The mapping and its reasons are in ``docs/formats/bibtex.md``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import bibtexparser
import bibtexparser.model as bibmodel

from iombib.formats import BaseWriter, ExportOptions
from iombib.importing import ImportContext
from iombib.model import RECORD_TYPE_DOCS, ROLE_ALIASES, Creator, Edition, Isbn, Record, Series, Url
from iombib.rendition import Rendition, date_parts, format_date, join_title, year

NAME = "bibtex"
SUFFIXES = (".bib", ".bibtex")
DESCRIPTION = "BibTeX for classic bibtex styles (plain, plainnat), JabRef and Zotero"

# --------------------------------------------------------------------------------------------
# LaTeX text: escaping (UTF-8 or ASCII) and decoding back to Unicode
# --------------------------------------------------------------------------------------------

_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
"""Characters LaTeX treats specially. Braces are written as commands, never as \\{ \\}: BibTeX
counts every brace, escaped or not, so a lone \\{ would unbalance the field."""

# Accent commands by combining mark; letters take {\c{c}}, symbols {\'e}.
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~",
            "\u0304": "=", "\u0307": ".", "\u0327": "c", "\u0306": "u", "\u030c": "v",
            "\u030b": "H", "\u0328": "k", "\u0323": "d", "\u030a": "r"}
_LETTERS = {"ß": r"\ss", "ø": r"\o", "Ø": r"\O", "æ": r"\ae", "Æ": r"\AE", "œ": r"\oe",
            "Œ": r"\OE", "å": r"\aa", "Å": r"\AA", "ł": r"\l", "Ł": r"\L", "ı": r"\i"}
_PUNCTUATION = {"–": "--", "—": "---", "‘": r"\textquoteleft{}", "’": r"\textquoteright{}",
                "“": "``", "”": "''",
                "\u00a0": "~", "«": r"\guillemotleft{}", "»": r"\guillemotright{}",
                "…": r"\ldots{}", "•": r"\textbullet{}", "€": r"\texteuro{}",
                "°": r"\textdegree{}", "¡": "!`", "¿": "?`", "§": r"\S{}",
                "©": r"\textcopyright{}", "·": r"\textperiodcentered{}"}
_LIGATURES = {("-", "-"), ("'", "'"), ("`", "`"), ("<", "<"), (">", ">"), (",", ","),
              ("!", "`"), ("?", "`")}
"""Character pairs TeX (T1) joins into one glyph: kept apart with {} when the text has them."""


def _ascii_char(char: str) -> str:
    """One non-ASCII character as LaTeX (ASCII), or ? when there is no encoding for it."""
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    if char in _LETTERS:
        return "{" + _LETTERS[char] + "}"
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and marks and all(m in _ACCENTS for m in marks):
        text = r"\i" if base == "i" and marks[0] in "\u0301\u0300\u0302\u0308" else base
        for mark in marks:
            command = _ACCENTS[mark]
            text = f"\\{command}{{{text}}}" if command.isalpha() else f"\\{command}{text}"
        return "{" + text + "}"
    fallback = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return fallback or "?"


_NEEDS_ESCAPING = re.compile("[" + re.escape("".join(_SPECIALS)) + "]|"
                    + "|".join(re.escape(a + b) for a, b in sorted(_LIGATURES)))
"""Text that needs escaping: a special character or a ligature pair (most text has neither)."""


def escape(text: str, ascii: bool = False) -> str:
    """Text as LaTeX: special characters escaped, ligatures kept apart, and in ``ascii`` mode
    every other character LaTeX-encoded.

    >>> print(escape("R&D 100% — São Tomé", ascii=True))
    R\\&D 100\\% --- S{\\~a}o Tom{\\'e}
    """
    if not _NEEDS_ESCAPING.search(text) and (not ascii or text.isascii()):
        return text  # the loop below would give it back unchanged
    out: list[str] = []
    last = ""
    for char in text:
        if char in _SPECIALS:
            piece = _SPECIALS[char]
        elif ascii and not char.isascii():
            piece = _ascii_char(char)
        elif char == "\n":
            piece = "\n"
        else:
            piece = char
        if last and (last[-1], piece[0]) in _LIGATURES:
            out.append("{}")
        out.append(piece)
        last = piece
    return "".join(out)


_SPACES = re.compile(r"( +)")
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def _protect_case(text: str, ascii: bool) -> str:
    """Escaped text with capitalised words braced, so styles that lower-case titles keep them:
    every word with a capital letter except a first word capitalised only at its start."""
    # Text that needs no escaping has no part that does (a part's character pairs are the
    # text's), so its words are taken as they are.
    plain = not _NEEDS_ESCAPING.search(text) and (not ascii or text.isascii())
    out = []
    for index, word in enumerate(_SPACES.split(text)):
        if not word.strip():
            out.append(word)
            continue
        rest = word[1:] if index == 0 else word
        if rest != rest.lower():  # a capital (upper or title case) letter
            lead, core, trail = _WORD.match(word).groups()  # type: ignore[union-attr]
            if core:
                out.append(lead + "{" + core + "}" + trail if plain else
                           escape(lead, ascii) + "{" + escape(core, ascii) + "}" +
                           escape(trail, ascii))
                continue
        out.append(word if plain else escape(word, ascii))
    return "".join(out)


_COMMAND_SYMBOLS = {
    "textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}",
    "textasciitilde": "~", "textasciicircum": "^", "guillemotleft": "«",
    "guillemotright": "»", "ldots": "…", "dots": "…", "textbullet": "•", "texteuro": "€",
    "textdegree": "°", "S": "§", "textcopyright": "©", "textperiodcentered": "·",
    "textendash": "–", "textemdash": "—", "textquoteleft": "‘", "textquoteright": "’",
    "textquotedblleft": "“", "textquotedblright": "”", "i": "ı", "j": "ȷ", "relax": "",
    **{v[1:]: k for k, v in _LETTERS.items()},
}
_MARKS = {v: k for k, v in _ACCENTS.items()}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|---|--|``|''|!`|\?`|~|[{}]|\s+|.", re.S)


def decode(latex: str) -> str:
    """LaTeX text back to Unicode: commands, accents, dashes and quotes decoded, grouping
    braces dropped. The inverse of :func:`escape` in both modes.

    >>> decode(r"{IOM} -- {\\'E}tat {\\c{c}}a \\& R\\&D")
    'IOM – État ça & R&D'
    """
    out: list[str] = []
    pending: list[str] = []  # accent marks waiting for their base letter
    tokens = [m.group(0) for m in _TOKEN.finditer(latex)]
    index = 0

    def emit(text: str) -> None:
        if pending and text:
            base = "i" if text[0] == "ı" else "j" if text[0] == "ȷ" else text[0]
            text = unicodedata.normalize("NFC", base + "".join(reversed(pending))) + text[1:]
            pending.clear()
        out.append(text)

    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in ("{", "}"):
            continue
        if token.startswith("\\") and len(token) > 1:
            name = token[1:]
            if name in _MARKS:
                pending.append(_MARKS[name])
                if name.isalpha():  # \c{c}: skip the space after a letter command
                    while index < len(tokens) and tokens[index].isspace():
                        index += 1
                continue
            if name in _COMMAND_SYMBOLS:
                terminated = False
                while index + 1 < len(tokens) and tokens[index] == "{" and \
                        tokens[index + 1] == "}":
                    index, terminated = index + 2, True
                if name.isalpha() and not terminated:
                    while index < len(tokens) and tokens[index] == " ":
                        index += 1
                emit(_COMMAND_SYMBOLS[name])
                continue
            if not name.isalpha():  # \& \% \$ \# \_ \{ \} \  and friends
                emit(" " if name.isspace() else name)
                continue
            emit(token)  # an unknown command is kept as written
            continue
        emit({"---": "—", "--": "–", "``": "“", "''": "”", "!`": "¡", "?`": "¿",
              "~": "\u00a0"}.get(token, token))
    return "".join(out)


def _clean(value: str) -> str:
    """A decoded single-line value: whitespace runs (line breaks of the input) made one space."""
    return re.sub(r"[ \t\r\n]+", " ", decode(value)).strip()


def _paragraphs(value: str) -> list[str]:
    """A decoded multi-paragraph value: paragraphs are separated by blank lines."""
    return [p for p in (_clean(p) for p in re.split(r"\n[ \t]*\n", value)) if p]


def _split_top(text: str, separator: str) -> list[str]:
    """Split at a regex separator that is not inside braces."""
    parts, depth, start = [], 0, 0
    pattern = re.compile(separator)
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            match = pattern.match(text, index)
            if match and match.end() > index:
                parts.append(text[start:index])
                start = index = match.end()
                continue
        index += 1
    parts.append(text[start:])
    return parts


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

def _person(creator: Creator, ascii: bool) -> str:
    """A person as BibTeX's ``von Last, Jr, First``: a family name that BibTeX would split
    (a lower-case word, a comma) is braced whole."""
    family = escape(creator.family or "", ascii)
    if "," in family or any(w[:1].islower() for w in (creator.family or "").split()):
        family = "{" + family + "}"
    last = f"{escape(creator.particle, ascii)} {family}" if creator.particle else family
    given = escape(creator.given, ascii) if creator.given else ""
    if creator.suffix:
        return f"{last}, {escape(creator.suffix, ascii)}, {given}".rstrip()
    if given:
        return f"{last}, {given}"
    # A braced family alone would read as a corporate name: the comma says it is a person.
    return f"{last}," if last.startswith("{") and last.endswith("}") else last


def _organization(rendition: Rendition, creator: Creator, ascii: bool) -> str:
    """A corporate body braced whole, with its subdivision after ". "."""
    return "{" + escape(rendition.creator_name(creator), ascii) + "}"


def format_names(rendition: Rendition, creators: Sequence[Creator], ascii: bool) -> str:
    """Creators as a BibTeX name list joined by ``and``."""
    return " and ".join(_organization(rendition, c, ascii) if c.org else _person(c, ascii)
                        for c in creators)


def _lower_word(word: str) -> bool:
    """BibTeX's test for a von word: its first letter, outside braces, is lower case."""
    if word.startswith("{"):
        return False
    letters = decode(word)
    return bool(letters) and letters[0].islower()


def parse_names(value: str, context: ImportContext, *, line: int | None = None,
                record_id: str | None = None) -> list[Creator]:
    """A BibTeX name list back to creators (corporate bodies braced whole, persons in any of
    BibTeX's three forms)."""
    creators = []
    for raw in _split_top(value.strip(), r"\s+and\s+"):
        name = raw.strip()
        if not name:
            continue
        if name.startswith("{") and len(_split_top(name, r"\s+|,")) == 1 \
                and name.endswith("}") and _balanced_outer(name):
            creators.append(context.corporate(_clean(name[1:-1]), line=line,
                                              record_id=record_id))
            continue
        parts = [p.strip() for p in _split_top(name, ",")]
        given = suffix = None
        if len(parts) == 1:
            words = _split_top(parts[0], r"\s+")
            lower = [i for i, w in enumerate(words[:-1]) if _lower_word(w)]
            if lower:
                given = " ".join(words[:lower[0]]) or None
                von_last = words[lower[0]:]
            else:
                given = " ".join(words[:-1]) or None
                von_last = words[-1:]
        else:
            von_last = _split_top(parts[0], r"\s+")
            given = parts[-1] or None
            suffix = parts[1] if len(parts) == 3 and parts[1] else None
        particle_words: list[str] = []
        while len(von_last) > 1 and _lower_word(von_last[0]):
            particle_words.append(von_last.pop(0))
        creators.append(Creator(
            family=_clean(" ".join(von_last)),
            given=_clean(given) if given else None,
            particle=_clean(" ".join(particle_words)) if particle_words else None,
            suffix=_clean(suffix) if suffix else None))
    return creators


def _balanced_outer(text: str) -> bool:
    """True when the first brace of the text closes at its last character."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return index == len(text) - 1
    return False


# --------------------------------------------------------------------------------------------
# Record types, roles and languages
# --------------------------------------------------------------------------------------------

TYPE_WORDS: dict[str, str] = {
    "report": "Report", "brief": "Brief", "fact-sheet": "Fact sheet",
    "working-paper": "Working paper",
}
"""The ``type`` field of report-like entries, printed by the styles instead of "Technical
Report", and read back to the record type."""
_TYPE_FROM_WORD = {
    **{w.casefold(): t for t, w in TYPE_WORDS.items()},
    "technical report": "report", "research report": "report", "techreport": "report",
    "resreport": "report", "issue brief": "brief", "policy brief": "brief",
    "working paper series": "working-paper", "factsheet": "fact-sheet",
}

# Roles beyond author, editor and translator go in editora/editorb/editorc with this type.
ROLE_TYPES: dict[str, str] = {"compiler": "compiler", "contributor": "collaborator",
                              "organizer": "organizer", "funder": "funder"}
_ROLE_FROM_TYPE = {**{v: k for k, v in ROLE_TYPES.items()}, "editor": "editor",
                   "translator": "translator"}
_EXTRA_LISTS = ("editora", "editorb", "editorc")

LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("english", "English"), "fr": ("french", "French"), "es": ("spanish", "Spanish"),
    "pt": ("portuguese", "Portuguese"), "de": ("ngerman", "German"),
    "it": ("italian", "Italian"), "ar": ("arabic", "Arabic"), "ru": ("russian", "Russian"),
    "nl": ("dutch", "Dutch"), "tr": ("turkish", "Turkish"), "el": ("greek", "Greek"),
    "hy": ("armenian", "Armenian"), "ka": ("georgian", "Georgian"),
    "uk": ("ukrainian", "Ukrainian"), "pl": ("polish", "Polish"),
    "ro": ("romanian", "Romanian"), "sq": ("albanian", "Albanian"),
    "sr": ("serbian", "Serbian"), "hr": ("croatian", "Croatian"),
    "bg": ("bulgarian", "Bulgarian"), "fa": ("farsi", "Persian"), "he": ("hebrew", "Hebrew"),
    "id": ("bahasai", "Indonesian"), "ms": ("bahasam", "Malay"), "th": ("thai", "Thai"),
    "vi": ("vietnamese", "Vietnamese"), "sw": ("swahili", "Swahili"),
    "zh": ("chinese", "Chinese"), "ja": ("japanese", "Japanese"), "ko": ("korean", "Korean"),
}
"""ISO 639-1 code -> (babel/polyglossia name for langid, English name for notes)."""
_LANGUAGE_FROM_NAME = {name: code for code, names in LANGUAGES.items() for name in names}
_LANGUAGE_FROM_NAME.update({"german": "de", "american": "en", "british": "en", "UKenglish": "en",
                            "USenglish": "en", "francais": "fr", "portuges": "pt"})


def _language_code(value: str, context: ImportContext) -> str | None:
    text = value.strip()
    return _LANGUAGE_FROM_NAME.get(text) or _LANGUAGE_FROM_NAME.get(text.capitalize()) or \
        context.language_code(text)


def _language_name(code: str, english: bool) -> str:
    names = LANGUAGES.get(code)
    return names[1 if english else 0] if names else code


# --------------------------------------------------------------------------------------------
# The field table
# --------------------------------------------------------------------------------------------

Getter = Callable[[Rendition], "str | None"]
Putter = Callable[["Draft", str], None]


@dataclass(slots=True)
class Draft:
    """A record being read, with what needs all fields before it is settled."""

    record: Record
    volume: str | None = None
    bad: list[tuple[str, str]] = field(default_factory=list)
    """(field, value) pairs that could not be read as their record field needs."""

    @property
    def series(self) -> Series:
        """The record's series, made when a series field is first read."""
        if self.record.series is None:
            self.record.series = Series(title="")
        return self.record.series


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the mapping: canonical (BibLaTeX) field, how its value is written, where in
    the record it comes from and goes back to, and its label when it has to go in ``note``."""

    name: str
    kind: str
    """title (escaped, capitals protected), text (escaped), literal (written as is), verbatim
    and doi (the URL and DOI rules of the dialect)."""
    get: Getter
    put: Putter
    label: str


def _series_get(attr: str) -> Getter:
    return lambda r: getattr(r.record.series, attr) if r.record.series else None


def _series_put(attr: str) -> Putter:
    return lambda d, v: setattr(d.series, attr, v)


def _set(attr: str) -> Putter:
    return lambda d, v: setattr(d.record, attr, v)


def _pages_put(draft: Draft, value: str) -> None:
    if value.isdigit() and int(value) > 0:
        draft.record.pages = int(value)
    else:
        draft.bad.append(("pagetotal", value))


FIELDS: tuple[Row, ...] = (
    Row("subtitle", "title", lambda r: r.subtitle, _set("subtitle"), "Subtitle"),
    Row("shorttitle", "title", lambda r: r.short_title, _set("short_title"), "Short title"),
    Row("edition", "text", lambda r: r.record.edition, _set("edition"), "Edition"),
    Row("series", "text", _series_get("title"), _series_put("title"), "Series"),
    Row("volume", "text", lambda r: (r.record.series.volume if r.record.series and
                                     r.record.series.volume else r.record.volume),
        lambda d, v: setattr(d, "volume", v), "Volume"),
    Row("number", "text", _series_get("number"), _series_put("number"), "Number"),
    Row("part", "text", _series_get("part"), _series_put("part"), "Part"),
    Row("issue", "text", _series_get("issue"), _series_put("issue"), "Issue"),
    Row("issn", "literal", _series_get("issn"), _series_put("issn"), "ISSN"),
    Row("pages", "literal", lambda r: escape(r.record.page_range).replace("-", "--")
        if r.record.page_range else None,
        lambda d, v: setattr(d.record, "page_range", re.sub(r"-+|–", "-", v)), "Pages"),
    Row("pagetotal", "literal", lambda r: str(r.pages) if r.pages else None, _pages_put,
        "Page count"),
    Row("doi", "doi", lambda r: r.record.doi, _set("doi"), "DOI"),
    Row("abstract", "text", lambda r: r.record.abstract, _set("abstract"), "Abstract"),
)
"""The fields whose value is one record attribute (names, title, date, ISBNs, URLs, languages,
keywords, publisher and notes need a little code each: see Writer.fields and Reader)."""
_ROWS = {row.name: row for row in FIELDS}
_LABELS = {row.label: row.name for row in FIELDS}
_LABELS.update({"ISBN": "isbn", "Publisher": "publisher", "Place": "location",
                "Type": "type", "In": "booktitle", "Journal": "journaltitle",
                "Document symbol": "symbol", "Volume of the work": "workvolume",
                **{t.capitalize(): t for t in ("author", "editor", "translator", *_EXTRA_LISTS)},
                **{f"{t.capitalize()} role": f"{t}type" for t in ("editor", *_EXTRA_LISTS)}})
_LABEL_OF = {name: label for label, name in _LABELS.items()}

# --------------------------------------------------------------------------------------------
# Dialects: entry types, what each can hold, field names
# --------------------------------------------------------------------------------------------

_NAME_FIELDS = ("author", "editor", "translator", *_EXTRA_LISTS)


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between BibTeX and BibLaTeX."""

    name: str
    candidates: dict[str, tuple[str, ...]]
    """Entry types to try per record type, best first; the first that fits is taken."""
    requires: dict[str, Callable[[dict[str, str]], bool]]
    """Per entry type: does an entry with these canonical fields satisfy the style / data
    model (required fields present, no forbidden combination)?"""
    valid: dict[str, frozenset[str]] | None
    """Canonical fields each entry type's data model accepts besides the global ones (None:
    any field, as classic BibTeX ignores fields it does not know)."""
    publisher_field: dict[str, str]
    """Field the publisher goes in, per entry type (default ``publisher``)."""
    renames: dict[str, str]
    """Canonical field -> this dialect's name."""
    order: str = ""
    """Field holding the interleaving of roles when names are not grouped by role."""

    def entry_type(self, record_type: str, fields: dict[str, str]) -> tuple[str, list[str]]:
        """The entry type for these canonical fields and the fields it cannot hold."""
        candidates = self.candidates[record_type]
        # Fewest fields moved to note wins; the imprint (publisher, place) counts for nothing,
        # so an article stays an @article though biblatex gives it no publisher field.
        fitting = [(len(set(self.invalid(t, fields)) - {"publisher", "location"}), i, t)
                   for i, t in enumerate(candidates)
                   if self.requires.get(t, lambda _: True)(fields)]
        chosen = candidates[-1] if not fitting else min(fitting)[2]
        return chosen, self.invalid(chosen, fields)

    def invalid(self, entry_type: str, fields: dict[str, str]) -> list[str]:
        """Canonical fields the entry type cannot hold (BibLaTeX data model; integer volume)."""
        if self.valid is None:
            return []
        allowed = self.valid.get(entry_type, frozenset()) | _GLOBAL
        bad = [f for f in fields if f not in allowed and f != "publisher"]
        if "publisher" in fields and self.publisher_field.get(entry_type, "publisher") \
                not in allowed:
            bad.append("publisher")
        if "volume" in fields and not fields["volume"].isdigit():
            bad.append("volume")
        return bad


_GLOBAL = frozenset({"title", "date", "abstract", "doi", "url", "ids", "entrysubtype",
                     "keywords", "langid", "shorttitle", "note", "usera"})


def _has(*names: str) -> Callable[[dict[str, str]], bool]:
    return lambda f: all(n in f for n in names)


def _plain_book(f: dict[str, str]) -> bool:
    # plain.bst warns on both author and editor, and on both volume and number.
    return (("author" in f) != ("editor" in f)) and not ("volume" in f and "number" in f)


_REPORTS = ("report", "brief", "fact-sheet", "working-paper")

BIBTEX = Dialect(
    name="bibtex",
    candidates={
        "book": ("book", "misc"), **{t: ("techreport", "misc") for t in _REPORTS},
        "conference-report": ("proceedings", "misc"), "serial-issue": ("book", "misc"),
        "article": ("article", "misc"), "chapter": ("incollection", "misc"),
        "brochure": ("booklet", "misc"), "manual": ("manual", "misc"),
    },
    requires={
        "book": _plain_book, "techreport": _has("author"),
        "proceedings": lambda f: not ("volume" in f and "number" in f),
        "article": _has("author", "journaltitle"),
        "incollection": lambda f: "author" in f and "booktitle" in f and not (
            "volume" in f and "number" in f),
    },
    valid=None,
    publisher_field={"techreport": "institution", "manual": "organization",
                     "booklet": "howpublished", "misc": "howpublished"},
    renames={"location": "address", "journaltitle": "journal"},
    order="creatororder",
)


def _model(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BOOKISH = ("author editor editortype editora editoratype editorb editorbtype editorc editorctype "
            "translator subtitle publisher location number series volume part isbn pages "
            "edition language")

BIBLATEX = Dialect(
    name="biblatex",
    candidates={
        "book": ("book", "collection", "misc"),
        **{t: ("report", "book", "collection", "misc") for t in _REPORTS},
        "conference-report": ("proceedings", "book", "collection", "misc"),
        "serial-issue": ("periodical", "book", "collection", "misc"),
        "article": ("article", "misc"), "chapter": ("incollection", "inbook", "misc"),
        "brochure": ("booklet", "book", "misc"), "manual": ("manual", "book", "misc"),
    },
    requires={
        "book": _has("author"), "collection": _has("editor"), "report": _has("author", "type"),
        "periodical": _has("editor"), "article": _has("author", "journaltitle"),
        "incollection": _has("author", "editor", "booktitle"),
        "inbook": _has("author", "booktitle"), "booklet": lambda f: "author" in f or
        "editor" in f,
    },
    # From biblatex's data model (blx-dm.def), the fields of FIELDS and the names this module
    # writes; checked by biber --validate-datamodel in tests/formats/test_bibtex.py.
    valid={
        "book": _model(_BOOKISH + " pagetotal"),
        "collection": _model(_BOOKISH.replace("author ", "") + " pagetotal"),
        "inbook": _model(_BOOKISH + " booktitle"),
        "incollection": _model(_BOOKISH + " booktitle"),
        "report": _model("author subtitle institution location type number pages pagetotal "
                         "language"),
        "proceedings": _model("editor editortype subtitle publisher organization location number "
                              "series volume part isbn pages pagetotal language"),
        "periodical": _model("editor editortype editora editoratype editorb editorbtype editorc "
                             "editorctype subtitle number series volume issue issn language"),
        "article": _model("author editor editortype editora editoratype editorb editorbtype "
                          "editorc editorctype translator subtitle journaltitle number series "
                          "volume issue issn pages language"),
        "booklet": _model("author editor editortype subtitle howpublished location type pages "
                          "pagetotal language"),
        "manual": _model("author editor editortype subtitle publisher organization location type "
                         "number series isbn pages pagetotal edition language"),
        "misc": _model("author editor editortype subtitle organization howpublished location "
                       "type language"),
    },
    publisher_field={"report": "institution", "misc": "organization",
                     "booklet": "howpublished"},
    renames={},
    order="usera",
)

# Reading: entry type (and type field) -> record type, and field names of any dialect.
_ENTRY_RECORD_TYPES = {
    "book": "book", "mvbook": "book", "collection": "book", "mvcollection": "book",
    "techreport": "report", "report": "report", "proceedings": "conference-report",
    "mvproceedings": "conference-report", "periodical": "serial-issue", "article": "article",
    "incollection": "chapter", "inbook": "chapter", "inproceedings": "chapter",
    "conference": "chapter", "booklet": "brochure", "manual": "manual", "misc": "report",
    "online": "report", "unpublished": "report",
}
_READ_NAMES = {"address": "location", "journal": "journaltitle", "institution": "publisher",
               "organization": "publisher", "school": "publisher", "howpublished": "publisher"}
_IGNORED = {"year", "month", "date", "title", "subtitle", "ids", "entrysubtype", "url", "isbn",
            "keywords", "langid", "language", "note", "type", "creatororder", "usera",
            "booktitle", "journaltitle", "publisher", "location", "key", *_NAME_FIELDS,
            "editortype", "editoratype", "editorbtype", "editorctype"}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_KEY_STOP = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "la", "le", "les", "de",
             "des", "du", "el", "los", "las", "y", "et", "en", "un", "une", "l", "d", "del",
             "at", "by", "with", "from", "its", "is", "are"}


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode(
        "ascii", "ignore").decode().lower())


def base_key(record: Record, organizations: dict) -> str:
    """The readable part of a citation key: first creator, year, first significant title word.

    >>> base_key(Record(id="x", type="report", title="The World Report", issued="2015",
    ...                 creators=[Creator(family="Müller")]), {})
    'muller2015world'
    """
    creator = record.creators[0] if record.creators else None
    if creator is None:
        who = "anon"
    elif creator.org:
        org = organizations.get(creator.org)
        acronym = org.acronym_in("en") if org else None
        words = [w for w in re.split(r"\W+", org.name_in("en") if org else creator.org)
                 if w and w.lower() not in _KEY_STOP]
        who = _ascii_word(acronym or (words[0] if words else creator.org))
    else:
        who = _ascii_word(creator.family or "")
    words = (_ascii_word(w) for w in (record.title or "").split())
    title_word = next((w for w in words if w and w not in _KEY_STOP), "")
    return f"{who or 'anon'}{year(record.issued) or 'nd'}{title_word}"


def citation_keys(records: Sequence[Record], organizations: dict) -> dict[str, str]:
    """Unique keys for the records by id: equal base keys get a, b, c ... in record-id order,
    and no key equals the id of another record (BibLaTeX takes ids as key aliases)."""
    return unique_keys([(r.id, base_key(r, organizations)) for r in records])


def unique_keys(bases: Sequence[tuple[str, str]]) -> dict[str, str]:
    """:func:`citation_keys` from each record's (id, base key)."""
    by_base: dict[str, list[str]] = {}
    for record_id, base in bases:
        by_base.setdefault(base, []).append(record_id)
    ids = {record_id for record_id, _ in bases}
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for base in sorted(by_base):
        group = by_base[base]
        if len(group) == 1:  # the usual case, without the loop below
            record_id = group[0]
            if base not in taken and (base not in ids or base == record_id):
                keys[record_id] = base
                taken.add(base)
                continue
        group = sorted(set(group))
        for index, record_id in enumerate(group):
            key = base if len(group) == 1 else base + _suffix(index)
            n = len(group)
            while key in taken or (key in ids and key != record_id):
                key, n = base + _suffix(n), n + 1
            keys[record_id] = key
            taken.add(key)
    return keys


def _suffix(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(97 + rest) + letters
    return letters


_ORDER = {name: index for index, name in enumerate((
    "ids", "author", "editor", "editortype", "translator", "editora", "editoratype", "editorb",
    "editorbtype", "editorc", "editorctype", "creatororder", "usera", "title", "subtitle",
    "shorttitle", "booktitle", "journaltitle", "edition", "type", "series", "volume", "number",
    "part", "issue", "publisher", "location", "date", "pages", "pagetotal", "isbn", "issn", "doi",
    "url", "langid", "language", "keywords", "abstract", "note", "entrysubtype", "key"))}
"""Field order in an entry: who, what, where in a series, imprint, identifiers, the rest."""


class Writer(BaseWriter):
    """Writes records as BibTeX entries (the :data:`BIBTEX` dialect)."""

    dialect: Dialect = BIBTEX
    separator = "\n"

    def __init__(self, records: Sequence[Record], options: ExportOptions,
                 surveys: Sequence[tuple[str, str]] | None = None) -> None:
        super().__init__(records, options, surveys)
        self.keys = unique_keys([self.survey(r, options) for r in records]
                                if surveys is None else surveys)

    @staticmethod
    def survey(record: Record, options: ExportOptions) -> tuple[str, str]:
        """A record's id and base key: keys are made unique over the whole export."""
        return record.id, base_key(record, options.organizations)

    def header(self) -> str:
        """A comment naming the generator and the encoding."""
        encoding = "ASCII (LaTeX-encoded)" if self.options.ascii else "UTF-8"
        return f"% Written by iombib ({self.dialect.name}, {encoding}).\n\n"

    def key(self, record: Record) -> str:
        """The citation key of a record."""
        return self.keys.get(record.id) or base_key(record, self.options.organizations)

    def fields(self, rendition: Rendition) -> tuple[str, dict[str, tuple[str, str]]]:
        """The entry type and the fields (name -> (kind, value)) in this dialect, unescaped."""
        record = rendition.record
        dialect = self.dialect
        canonical: dict[str, tuple[str, str]] = {}
        key = self.key(record)
        if key != record.id:
            canonical["ids"] = ("literal", record.id)
        names, order = self._names(rendition)
        canonical.update(names)
        canonical["title"] = ("title", rendition.title or "")
        if record.container_title:
            name = "journaltitle" if record.type == "article" else "booktitle"
            canonical[name] = ("title", record.container_title)
        if record.type in TYPE_WORDS:
            canonical["type"] = ("text", TYPE_WORDS[record.type])
        canonical["publisher"] = ("text", rendition.publisher)
        if record.place:
            canonical["location"] = ("text", record.place)
        canonical["date"] = ("literal", rendition.issued or "")
        for row in FIELDS:
            value = row.get(rendition)
            if value:
                canonical[row.name] = (row.kind, value)
        isbn, isbn_statement = _isbn_fields(rendition)
        if isbn:
            canonical["isbn"] = ("literal", isbn)
        if rendition.urls:
            canonical["url"] = ("verbatim", rendition.urls[0].url)
        if rendition.languages:
            canonical["langid"] = ("literal", _language_name(rendition.languages[0], False))
            if len(rendition.languages) > 1:
                canonical["language"] = ("literal", " and ".join(
                    _language_name(c, False) for c in rendition.languages))
        if record.keywords:
            canonical["keywords"] = ("literal", ", ".join(
                "{" + escape(k, self.options.ascii) + "}" if "," in k
                else escape(k, self.options.ascii) for k in record.keywords))
        if record.symbol:
            canonical["symbol"] = ("text", record.symbol)
        if record.volume and record.series and record.series.volume:
            canonical["workvolume"] = ("text", record.volume)
        plain = {k: v for k, (_, v) in canonical.items()}
        entry_type, invalid = dialect.entry_type(record.type, plain)
        if "type" in invalid:  # the type word follows from the record type (entrysubtype)
            invalid.remove("type")
            del canonical["type"]
        if dialect.valid is not None:
            invalid += [n for n in ("symbol", "workvolume") if n in canonical]
        else:
            invalid = [n for n in ("symbol", "workvolume") if n in canonical]
        statements = [p for p in record.notes]
        statements += [f"{_LABEL_OF.get(n, n)}: {canonical.pop(n)[1]}"
                       for n in list(canonical) if n in invalid]
        statements += isbn_statement + _edition_statements(rendition)
        statements += [f"Also available at: {u.url}" for u in rendition.urls[1:]]
        if record.provenance and record.provenance.incomplete:
            statements.append("Not in source: " + ", ".join(record.provenance.incomplete))
        if order:
            canonical[dialect.order] = ("literal", order)
        if _record_type(entry_type, canonical.get("type", ("", ""))[1]) != record.type:
            canonical["entrysubtype"] = ("literal", record.type)
        if statements:
            canonical["note"] = ("note", "\n\n".join(statements))
        if dialect is BIBTEX and ("author" not in canonical or
                                  (entry_type == "proceedings" and "editor" not in canonical)):
            # Classic styles sort (and plainnat labels) an entry without author by its key.
            first = record.creators[0] if record.creators else None
            sort_name = (rendition.creator_name(first) if first.org else first.family or "") \
                if first else rendition.publisher
            canonical["key"] = ("text", sort_name)
        ordered = dict(sorted(canonical.items(), key=lambda item: _ORDER.get(item[0], 99)))
        return entry_type, self._rename(entry_type, ordered)

    def _names(self, rendition: Rendition) -> tuple[dict[str, tuple[str, str]], str]:
        """Name-list fields in order of each role's first appearance, and the interleaving of
        roles when it is not that grouping (else "")."""
        record = rendition.record
        groups: dict[str, list[Creator]] = {}
        for creator in record.creators:
            groups.setdefault(creator.role, []).append(creator)
        fields_for: dict[str, str] = {}
        result: dict[str, tuple[str, str]] = {}
        extra = iter(_EXTRA_LISTS)
        statements_roles = []
        for role, creators in groups.items():
            if role in ("author", "editor", "translator"):
                name = role
            else:
                name = next(extra, "")
                if not name:
                    statements_roles.append(role)
                    continue
            fields_for[role] = name
            result[name] = ("literal", format_names(rendition, creators, self.options.ascii))
            labels = {c.role_label for c in creators}
            label = labels.pop() if len(labels) == 1 else None
            if name == "editor" and label:
                result["editortype"] = ("text", label)
            elif name in _EXTRA_LISTS:
                aliased = label and ROLE_ALIASES.get(label.casefold()) == role
                result[name + "type"] = ("text", label if aliased else ROLE_TYPES[role])
        for role in statements_roles:  # more kinds of role than BibLaTeX has name lists
            result[f"role-{role}"] = ("literal", format_names(rendition, groups[role],
                                                              self.options.ascii))
        sequence = [fields_for.get(c.role, f"role-{c.role}") for c in record.creators]
        rank = {name: index for index, name in enumerate(_NAME_FIELDS)}
        grouped = sorted(sequence, key=lambda name: rank.get(name, len(rank)))
        return result, (" ".join(sequence) if sequence != grouped else "")

    def _rename(self, entry_type: str, canonical: dict[str, tuple[str, str]]
                ) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for name, (kind, value) in canonical.items():
            if name == "publisher":
                out[self.dialect.publisher_field.get(entry_type, "publisher")] = (kind, value)
            elif name == "date":
                out.update(self._date(value))
            elif name == "title" and self.dialect is BIBTEX:
                # Classic styles print no subtitle: the title carries it (subtitle kept too).
                subtitle = canonical.get("subtitle", ("", ""))[1]
                out["title"] = (kind, join_title(value, subtitle or None))
            elif name.startswith("role-"):
                continue
            else:
                out[self.dialect.renames.get(name, name)] = (kind, value)
        return out

    def _date(self, issued: str) -> dict[str, tuple[str, str]]:
        parts = date_parts(issued)
        if self.dialect is BIBTEX:
            if not parts:
                return {"year": ("literal", "n.d.")}
            years = "--".join(str(p[0]) for p in parts)
            found = {"year": ("literal", years)}
            if len(parts) == 1 and len(parts[0]) > 1:
                found["month"] = ("macro", _MONTHS[parts[0][1] - 1])
            if len(parts) > 1 or len(parts[0]) > 1:
                found["date"] = ("literal", issued)
            return found
        return {"date": ("literal", issued if parts else "XXXX")}

    def render(self, rendition: Rendition) -> str:
        """One entry."""
        entry_type, fields = self.fields(rendition)
        ascii = self.options.ascii
        lines = [f"@{entry_type}{{{self.key(rendition.record)},"]
        for name, (kind, value) in fields.items():
            lines.append(f"  {name} = {self._value(kind, value, ascii)},")
        lines.append("}\n")
        return "\n".join(lines)

    def _value(self, kind: str, value: str, ascii: bool) -> str:
        if kind == "macro":
            return value
        if kind == "title":
            return "{" + _protect_case(value, ascii) + "}"
        if kind in ("text", "note"):
            return "{" + escape(value, ascii) + "}"
        if kind in ("verbatim", "doi"):
            return "{" + self.verbatim(value, kind == "doi") + "}"
        return "{" + value + "}"

    def verbatim(self, value: str, doi: bool) -> str:
        """A URL or DOI. Classic styles copy a URL into \\url{} in the .bbl, where % and # must
        be escaped, and plainnat prints a DOI as text, where _ must be too; BibLaTeX reads both
        verbatim (overridden there)."""
        text = value.replace("%", r"\%").replace("#", r"\#")
        return text.replace("_", r"\_") if doi else text


def _isbn_fields(rendition: Rendition) -> tuple[str | None, list[str]]:
    """This edition's ISBN for the isbn field (the print one, else the first) and, when the
    edition has more than one or qualifiers, a note statement listing them all."""
    isbns = rendition.isbns
    if not isbns:
        return None, []
    chosen = next((i for i in isbns if i.medium == "print"), isbns[0])
    if len(isbns) == 1 and chosen.medium == "print" and not chosen.note:
        return chosen.value, []
    return chosen.value, ["ISBN " + "; ISBN ".join(_qualified(i) for i in isbns)]


def _qualified(isbn: Isbn) -> str:
    words = ", ".join(w for w in (isbn.medium, isbn.note) if w)
    return f"{isbn.value} ({words})"


def _edition_statements(rendition: Rendition) -> list[str]:
    """One sentence per other language edition, with its ISBNs."""
    statements = []
    for code in rendition.other_languages:
        isbns = [e.isbn for e in rendition.other_isbns if e.language == code]
        head = f"{_language_name(code, True)} edition"
        statements.append(f"{head}: ISBN " + "; ISBN ".join(_qualified(i) for i in isbns)
                          if isbns else head)
    return statements


def _record_type(entry_type: str, type_word: str) -> str:
    if entry_type in ("techreport", "report") and type_word:
        return _TYPE_FROM_WORD.get(type_word.casefold(), "report")
    return _ENTRY_RECORD_TYPES.get(entry_type, "report")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

_ISBN_STATEMENT = re.compile(r"^ISBN (.+)$")
_ONE_ISBN = re.compile(r"^([0-9Xx-]+)(?: \((print|electronic)(?:, (.+))?\))?$")
_EDITION = re.compile(r"^(\S+(?: \S+)?) edition(?:: ISBN (.+))?$")
_ALSO = re.compile(r"^Also available at: (\S+)$")
_NOT_IN_SOURCE = "Not in source: "
_STATEMENT = re.compile(r"^([A-Z][A-Za-z ]*?): (.+)$", re.S)


def _parse_isbns(text: str) -> list[Isbn] | None:
    found = []
    for piece in text.split("; ISBN "):
        match = _ONE_ISBN.match(piece.strip())
        if not match:
            return None
        found.append(Isbn(value=match.group(1), medium=match.group(2) or "print",
                          note=match.group(3)))
    return found


def read(text: str, context: ImportContext) -> list[Record]:
    """Parse BibTeX into records (see :func:`read_dialect`)."""
    return read_dialect(text, context, BIBTEX)


def read_dialect(text: str, context: ImportContext, dialect: Dialect) -> list[Record]:
    """Parse BibTeX or BibLaTeX text into records: malformed entries are reported and skipped,
    fields with no place are kept in notes."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)  # its problems come back as failed blocks, below
    try:
        library = bibtexparser.parse_string(text)
    except Exception as error:  # a last resort: bibtexparser returns failed blocks instead
        context.report("IMPORT_SYNTAX", f"cannot parse the input: {error}", line=1)
        return []
    finally:
        logger.setLevel(level)
    records = []
    for block in library.blocks:
        line = block.start_line + 1
        if isinstance(block, bibmodel.DuplicateBlockKeyBlock):
            context.report("IMPORT_SYNTAX", f"duplicate entry key '{block.key}'; the entry is "
                           "skipped", line=line)
        elif isinstance(block, bibmodel.ParsingFailedBlock):
            lines = str(block.error or "").strip().splitlines()
            message = lines[-1].strip() if lines else "a brace or field left open"
            context.report("IMPORT_SYNTAX", f"malformed entry ({message}); it is skipped",
                           line=line)
        elif isinstance(block, bibmodel.Entry):
            record = _read_entry(block, context, dialect)
            if record is not None:
                records.append(record)
    return records


def _read_entry(entry: bibmodel.Entry, context: ImportContext, dialect: Dialect
                ) -> Record | None:
    line = entry.start_line + 1
    raw: dict[str, str] = {}
    lines: dict[str, int] = {}
    for item in entry.fields:
        name = item.key.lower()
        value = item.value if isinstance(item.value, str) else str(item.value)
        lines[name] = item.start_line + 1
        if name in raw:
            context.report("IMPORT_SYNTAX", f"field '{name}' given twice; the first is kept",
                           line=lines[name], record_id=entry.key, field_name=name)
            continue
        raw[name] = value
    entry_type = entry.entry_type.lower()
    if entry_type not in _ENTRY_RECORD_TYPES:
        context.report("IMPORT_VALUE", f"entry type @{entry_type} is not known; read as a "
                       "report", line=line, record_id=entry.key, field_name="type")
    record = Record(id="", type="report", title=None, place=None, issued=None)  # type: ignore
    draft = Draft(record=record)

    # Notes first: statements there stand for fields the entry type could not hold.
    statements: dict[str, str] = {}
    isbns: list[Isbn] | None = None
    editions: list[Edition] = []
    more_urls: list[str] = []
    declared: list[str] = []  # fields the exported record said its source lacks
    for paragraph in _paragraphs(raw.get("note", "")) if "note" in raw else []:
        isbn_match, edition_match = _ISBN_STATEMENT.match(paragraph), _EDITION.match(paragraph)
        also, statement = _ALSO.match(paragraph), _STATEMENT.match(paragraph)
        if isbn_match and (parsed := _parse_isbns(isbn_match.group(1))) is not None:
            isbns = parsed
        elif edition_match and (code := _language_code(edition_match.group(1), context)):
            edition_isbns = _parse_isbns(edition_match.group(2)) if edition_match.group(2) \
                else []
            if edition_isbns is None:
                record.notes.append(paragraph)
            else:
                editions.append(Edition(language=code, isbn=edition_isbns))
        elif also:
            more_urls.append(also.group(1))
        elif paragraph.startswith(_NOT_IN_SOURCE):
            declared += [n.strip() for n in paragraph[len(_NOT_IN_SOURCE):].split(",")
                         if n.strip()]
        elif statement and statement.group(1) in _LABELS and \
                _LABELS[statement.group(1)] not in statements:
            statements[_LABELS[statement.group(1)]] = statement.group(2)
        else:
            record.notes.append(paragraph)

    def value(name: str) -> str | None:
        if name in statements:
            return statements[name]
        for written in (dialect.renames.get(name, name), name):
            if written in raw:
                return _clean(raw[written])
        return None

    # Names
    order = raw.get(dialect.order) or raw.get("creatororder") or raw.get("usera")
    lists: dict[str, list[Creator]] = {}
    for name in _NAME_FIELDS:
        text_value = raw.get(name) or statements.get(name)
        if text_value is None:
            continue
        creators = parse_names(text_value, context, line=lines.get(name), record_id=entry.key)
        role_type = _clean(raw.get(name + "type", statements.get(name + "type", "")))
        for creator in creators:
            creator.role = "editor" if name == "editor" else \
                "translator" if name == "translator" else "author"
            if name == "author":
                continue
            if name == "editor" and role_type and role_type != "editor":
                creator.role_label = role_type
            elif name in _EXTRA_LISTS:
                role = _ROLE_FROM_TYPE.get(role_type) or ROLE_ALIASES.get(role_type.casefold())
                creator.role = role or "contributor"  # type: ignore[assignment]
                if role_type and role_type not in _ROLE_FROM_TYPE:
                    creator.role_label = role_type
        lists[name] = creators
    if order and set(order.split()) <= set(lists):
        queues = {name: list(items) for name, items in lists.items()}
        record.creators = [queues[n].pop(0) for n in order.split() if queues[n]]
        record.creators += [c for q in queues.values() for c in q]
    else:
        record.creators = [c for name in _NAME_FIELDS for c in lists.get(name, [])]

    # Titles
    title = value("title")
    for row in FIELDS:
        found = decode(raw["abstract"]).strip() if row.name == "abstract" and \
            "abstract" in raw else value(row.name)
        if found:
            row.put(draft, found)
    if title and record.subtitle and dialect is BIBTEX:
        # The title that join_title joined with the subtitle (a title has no edge spaces).
        for candidate in (f": {record.subtitle}", f" {record.subtitle}"):
            head = title[: -len(candidate)]
            if title.endswith(candidate) and head and head == head.strip() \
                    and join_title(head, record.subtitle) == title:
                title = head
                break
    record.title = title  # type: ignore[assignment]
    container = value("booktitle") or value("journaltitle")
    if container:
        record.container_title = container

    # Type
    type_word = value("type") or ""
    subtype = _clean(raw.get("entrysubtype", ""))
    if subtype in RECORD_TYPE_DOCS:
        record.type = subtype  # type: ignore[assignment]
    else:
        record.type = _record_type(entry_type, type_word)  # type: ignore[assignment]
    if type_word and not ((entry_type in ("techreport", "report") and type_word.casefold() in
                          _TYPE_FROM_WORD) or TYPE_WORDS.get(record.type) == type_word):
        context.unmapped(record, "type", type_word, line=lines.get("type"))

    # Publisher, place
    publisher = value("publisher")
    if publisher is None:
        publisher = next((_clean(raw[n]) for n in ("institution", "organization", "school",
                                                   "howpublished") if n in raw), None)
    if publisher:
        record.publisher = context.org_key(publisher, line=line, record_id=entry.key)
    place = value("location") or (_clean(raw["address"]) if "address" in raw else None)
    record.place = place

    # Date
    record.issued = _read_date(raw, draft)  # type: ignore[assignment]

    # Identifiers, URLs, languages, keywords
    if isbns is None:
        isbn = value("isbn")
        isbns = [Isbn(value=isbn)] if isbn else []
    record.isbn = isbns
    record.editions = editions
    url = _verbatim(raw["url"], dialect) if "url" in raw else None
    record.urls = [Url(url=u, kind="pdf" if u.lower().endswith(".pdf") else "landing")
                   for u in ([url] if url else []) + more_urls]
    if "doi" in raw:
        record.doi = _verbatim(raw["doi"], dialect)
    languages: list[str] = []
    for name, separator in (("language", r"\s+and\s+|,\s*"), ("langid", r"$^")):
        for item in _split_top(raw.get(name, ""), separator) if not languages else []:
            code = _language_code(_clean(item), context) if item.strip() else None
            if code:
                languages.append(code)
            elif item.strip():
                draft.bad.append((name, _clean(item)))
    record.languages = list(dict.fromkeys(languages))
    for name, text_value in draft.bad:
        record.notes.append(f"{name}: {text_value}")
        context.report("IMPORT_VALUE", f"{name} '{text_value}' cannot be read; kept in notes",
                       line=lines.get(name), record_id=entry.key, field_name=name)
    if "keywords" in raw:
        record.keywords = [_clean(k) for k in _split_top(raw["keywords"], r"\s*,\s*")
                           if k.strip()]
    if draft.volume:
        if record.series is not None:
            record.series.volume = draft.volume
        else:
            record.volume = draft.volume
    if "workvolume" in statements:
        record.volume = statements["workvolume"]
    if "symbol" in statements:
        record.symbol = statements["symbol"]
    if record.series is not None and not record.series.title:
        series, record.series = record.series, None
        for attr in ("number", "volume", "part", "issue", "issn"):
            if getattr(series, attr):
                context.unmapped(record, attr, getattr(series, attr),
                                 line=lines.get(attr))

    # Unknown fields
    known = _IGNORED | set(_ROWS) | set(_READ_NAMES) | {"doi", "pagetotal"}
    for name, text_value in raw.items():
        if name not in known:
            context.unmapped(record, name, _clean(text_value), line=lines[name])

    # Id and completeness
    ids = _clean(raw.get("ids", "")).split(",")[0].strip()
    record.id = context.record_id(ids or entry.key, record.title or "", record.issued)
    incomplete = list(declared)
    for name, missing in (("title", not record.title), ("issued", not record.issued),
                          ("languages", not record.languages)):
        if missing and name not in declared:
            incomplete.append(name)
            context.report("IMPORT_INCOMPLETE", f"the entry gives no {name}", line=line,
                           record_id=record.id, field_name=name)
    record.provenance = context.provenance(incomplete=incomplete)
    return record


def _verbatim(value: str, dialect: Dialect) -> str:
    text = value.strip()
    if dialect is BIBTEX:
        text = text.replace(r"\%", "%").replace(r"\#", "#").replace(r"\_", "_")
    return text


def _read_date(raw: dict[str, str], draft: Draft) -> str | None:
    """``date`` (ISO 8601 / EDTF ranges) or ``year`` (+ ``month``) back to ``issued``."""
    if "date" in raw:
        text = _clean(raw["date"])
        if text.upper() in ("XXXX", "N.D.", ""):
            return None
        issued = format_date(date_parts(text))
        if issued:
            return issued
        draft.bad.append(("date", text))
    if "year" in raw:
        text = _clean(raw["year"]).replace("–", "/").replace("--", "/")
        if text.lower() in ("n.d.", "nd", "n. d.", ""):
            return None
        if not re.fullmatch(r"\d{4}(/\d{4})?", text):
            draft.bad.append(("year", text))
            return None
        month = _clean(raw.get("month", ""))
        short = month.lower()[:3]
        if "/" not in text and month:
            number = _MONTHS.index(short) + 1 if short in _MONTHS else \
                int(month) if month.isdigit() and 1 <= int(month) <= 12 else None
            if number is None:
                draft.bad.append(("month", month))
            else:
                return f"{text}-{number:02d}"
        return text
    return None


LOSSES: dict[str, str] = {
    "title_language": "not carried: BibTeX has no language of the title apart from langid",
    "creators.role_label": "editor: editortype; other roles: editoratype when the label "
                           "names the role, else the role's own type word",
    "urls.kind": "not carried: read back as pdf when the URL ends in .pdf, else landing",
    "urls.language": "not carried (URLs naming another edition are not written)",
    "editions.title": "not carried: an entry describes one edition (export --lang for another)",
    "editions.subtitle": "not carried (as editions.title)",
    "editions.short_title": "not carried (as editions.title)",
    "editions.issued": "not carried (as editions.title)",
    "editions.pages": "not carried (as editions.title)",
    "editions.urls": "not carried (as editions.title)",
    "availability": "not carried: no BibTeX field",
    "price": "not carried: no BibTeX field",
    "countries": "not carried: no BibTeX field (not mixed into keywords)",
    "regions": "not carried: no BibTeX field (not mixed into keywords)",
    "category": "not carried: no BibTeX field",
    "relations": "not carried: BibLaTeX's related needs the target in the same file",
}
"""Record fields that do not come back from BibTeX (and BibLaTeX), and why."""
