"""The Chinese catalogue: extraction of every translatable message from the code and templates,
the per-area translation files (translations/zh/parts/*.po) and the compiled catalogue Flask-Babel
reads (translations/zh/LC_MESSAGES/messages.mo, rebuilt when a part is newer; not in git).

    python -m web.catalogue missing [paths…]   messages without a Chinese translation
    python -m web.catalogue raw [templates…]    visible template text not wrapped in _()
    python -m web.catalogue pot                 write translations/messages.pot (for translators)
    python -m web.catalogue compile             rebuild the .mo now
"""
import os
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PARTS = TRANSLATIONS / "zh" / "parts"
MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"
SOURCE_DIRS = ("web", "workflow", "forms", "models", "commands", "demo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
JINJA = "jinja2.ext:babel_extract"
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "true"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def sources():
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield from sorted((ROOT / "templates").rglob("*.html"))


def extract(paths=None) -> dict[str, list[str]]:
    """{msgid: ["file:line", …]} for every message the code and templates ask to translate."""
    found: dict[str, list[str]] = {}
    for path in (Path(p).resolve() for p in paths) if paths else sources():
        if path.suffix == ".html":
            messages = extract_from_file(JINJA, str(path), keywords=KEYWORDS, options=JINJA_OPTIONS)
        else:
            messages = extract_from_file("python", str(path), keywords=KEYWORDS)
        for lineno, message, _comments, _context in messages:
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, []).append(f"{_shown(path)}:{lineno}")
    return found


def _parts():
    for part in sorted(PARTS.glob("*.po")):
        with part.open("rb") as f:
            catalog = read_po(f, locale="zh")
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                yield part.name, message.id, message.string


def translations() -> dict[str, str]:
    """{msgid: Chinese} from every part (a message translated in two parts must agree: conflicts())."""
    out: dict[str, str] = {}
    for _part, msgid, msgstr in _parts():
        out.setdefault(msgid, msgstr)
    return out


def conflicts() -> list[str]:
    """Messages that two parts translate differently (the reader would get one of them at random)."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for part, msgid, msgstr in _parts():
        first = seen.setdefault(msgid, (part, msgstr))
        if first[1] != msgstr:
            out.append(f"{msgid!r}: {first[0]} says {first[1]!r}, {part} says {msgstr!r}")
    return out


def problems(paths=None) -> list[str]:
    """Why the catalogue is incomplete: messages without Chinese, or whose Chinese lost a placeholder."""
    zh = translations()
    out = [f"translated differently: {c}" for c in conflicts()] if paths is None else []
    for msgid, where in sorted(extract(paths).items()):
        if msgid not in zh:
            out.append(f"no Chinese for {msgid!r} ({where[0]})")
        elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(zh[msgid])):
            out.append(f"placeholders differ in the Chinese of {msgid!r} ({where[0]})")
    return out


TAG_OR_EXPR = re.compile(r"{#.*?#}|{%-?.*?-?%}|{{-?.*?-?}}", re.S)
VISIBLE_ATTR = re.compile(r'\b(?:title|placeholder|aria-label|alt|value|label)\s*=\s*"([^"]*)"')
HIDDEN_BLOCK = re.compile(r"<(script|style)\b.*?</\1>", re.S)
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
ALLOWED_RAW = {"Cadreflow", "CSV", "XLSX", "JSON", "JSONL", "SVG", "ID", "PDF", "OK"}


def raw_template_text(paths=None) -> list[str]:
    """Visible words in templates that are not wrapped in _() or {% trans %}: text between tags and
    the visible attributes (title, placeholder, aria-label, alt, value, label)."""
    def keep_lines(m):
        return "\n" * m.group(0).count("\n")

    def visible_of_tag(m):
        return " ".join(VISIBLE_ATTR.findall(m.group(0))) + keep_lines(m)

    out = []
    for path in (Path(p).resolve() for p in paths) if paths else sorted((ROOT / "templates").rglob("*.html")):
        source = HIDDEN_BLOCK.sub(keep_lines, path.read_text(encoding="utf-8"))
        source = TAG_OR_EXPR.sub(keep_lines, source)
        source = re.sub(r"<[^>]*>", visible_of_tag, source)
        for lineno, line in enumerate(source.splitlines(), 1):
            words = set(WORDS.findall(re.sub(r"&\w+;", " ", line))) - ALLOWED_RAW
            if words:
                out.append(f"{_shown(path)}:{lineno}: {line.strip()[:100]}")
    return out


def compile_catalogue(force=False) -> Path:
    """Rebuild messages.mo from the parts when any part is newer (atomic: workers may race)."""
    parts = list(PARTS.glob("*.po"))
    newest = max((p.stat().st_mtime for p in parts), default=0)
    if not force and MO.exists() and MO.stat().st_mtime >= newest:
        return MO
    catalog = Catalog(locale="zh", domain="messages")
    for msgid, msgstr in translations().items():
        catalog.add(msgid, msgstr)
    MO.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=MO.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        write_mo(f, catalog)
    os.replace(tmp, MO)
    return MO


def write_pot():
    catalog = Catalog(domain="messages", project="Cadreflow")
    for msgid, where in sorted(extract().items()):
        catalog.add(msgid, locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where])
    with (TRANSLATIONS / "messages.pot").open("wb") as f:
        write_po(f, catalog, width=100)


def main(argv):
    command, rest = (argv[0] if argv else "missing"), argv[1:]
    if command == "missing":
        found = problems(rest or None)
        print("\n".join(found) or "Every message has its Chinese.")
        return 1 if found else 0
    if command == "raw":
        found = raw_template_text(rest or None)
        print("\n".join(found) or "No untranslated text in the templates.")
        return 1 if found else 0
    if command == "pot":
        write_pot()
        return 0
    if command == "compile":
        print(compile_catalogue(force=True))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
