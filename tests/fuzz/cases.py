"""Catalog inputs a new user's mistakes and an attacker's files would be, as Hypothesis strategies.

Four families: documents drawn from the catalog's own JSON Schema (`schema/catalog.schema.json`); targeted
mutations of the shipped catalogs (tests/data/catalogs/*.yaml and the example org) at the values where tools
have limits (durations, dates, counts, generated names); byte-level damage to their YAML text; and paths that
are not a readable YAML file (directories, symlink loops, FIFOs, endless devices).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from hypothesis import strategies as st

from tests.fuzz.schema_strategy import SchemaStrategies

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEED_FILES = sorted((PROJECT_DIR / "tests" / "data" / "catalogs").glob("*.yaml"))


@dataclass(frozen=True)
class Case:
    """One input: how it was made (for the report), and how to lay it out under a directory."""

    family: str
    description: str
    write: Callable[[Path], Path] = field(repr=False, compare=False)

    def __repr__(self) -> str:
        return f"Case({self.family}: {self.description})"


# --- Seeds ------------------------------------------------------------------------------------------------------


@cache
def seeds() -> tuple[tuple[str, dict], ...]:
    """The shipped catalogs as documents: the test catalogs and the example org written out as YAML would be."""
    import catalog

    out = [(path.name, yaml.safe_load(path.read_text())) for path in SEED_FILES]
    example = catalog.load("example").model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out.append(("example", example))
    return tuple(out)


def _file(text: str | bytes, name: str = "catalog.yaml") -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def _dump(doc: object) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096)


# --- Values at the tools' limits ----------------------------------------------------------------------------------

DURATIONS = [
    "0s", "1ms", "999ms", "59s", "61s", "1m", "5m", "1h", "1d", "7d", "28d", "30d", "90d", "365d", "1y", "10y",
    "100y", "292y", "293y", "106751d", "106752d", "15250w", "100000w", "1000y", "9223372036854775807ms",
    "9223372036854775ms", "9223372036854ms", "99999999999999999999d", "1y1w1d1h1m1s1ms", "1h0m", "01m", "5m1s",
    "1.5h", "-5m", "5", "", "P1D", "1H",
]
MOMENTS = [
    "2026-02-30T10:00:00", "2026-02-29T10:00:00", "2028-02-29T10:00:00", "9999-12-31T23:00:00",
    "9999-12-31T23:59:00", "9999-01-01T00:00:00", "0001-01-01T00:00:00", "1970-01-01T00:00:00",
    "2026-13-01T00:00:00", "2026-03-29T02:30:00", "2026-10-25T02:30:00", "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+05:00", "2026-01-01", "2026-06-01T24:00:00", "2026-06-01T10:00:30", "2100-01-01T00:00:00",
    "2026-06-01T00:00:00", "2027-06-01T00:00:00", "3026-06-01T00:00:00",
]
NUMBERS = [0, -1, 1, 2, 5, 7, 0.5, 0.999999, 1.0000001, 99.9999999, 100, 1e308, -1e308, 10**20, 2**63, 2**64,
           float("inf"), float("-inf"), float("nan"), 1e-300, 65_536, 1_000_000]
STRINGS = [
    "", " ", "a" * 64, "a" * 300, "x\ny", "nul\x00byte", "é", "日本", "{{ .Foo }}", "{{ template \"x\" }}", "'\"",
    "#", "a:b", "${HOME}", "$(VAR)", "</script>", "http://x", "https://example.com/a b", "0", "null", "yes",
    "critical", "P0", "page", "team", "--", "a-", "-a", "UPPER", "a" * 63, "\t", "\u202e", "\ud7ff",
]
OTHERS = [None, True, False, [], {}, [1], {"a": 1}, [[[]]], {"secret": "x"}]
NAME_INFIXES = ["-", "-maintenance-", "-business-hours", "-maintenance-business-hours", "-p0", "-critical"]

scalars = st.one_of(
    st.sampled_from(DURATIONS), st.sampled_from(MOMENTS), st.sampled_from(NUMBERS), st.sampled_from(STRINGS),
    st.sampled_from(OTHERS), st.integers(), st.floats(), st.text(max_size=12),
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside the document."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, prefix + (i,))
    return out


def _get(doc: object, path: tuple) -> object:
    for part in path:
        doc = doc[part]  # type: ignore[index]
    return doc


def _set(doc: object, path: tuple, value: object) -> None:
    _get(doc, path[:-1])[path[-1]] = value  # type: ignore[index]


def _names(doc: object) -> list[str]:
    return [v for p in _paths(doc) if p and p[-1] == "name" and isinstance(v := _get(doc, p), str)]


def _value_for(draw, current: object, doc: object) -> object:
    """A replacement in the spirit of the value it replaces, or anything at all."""
    looks_like = st.nothing()
    if isinstance(current, str):
        import re

        if re.fullmatch(r"(\d+(y|w|d|h|m|s|ms))+", current):
            looks_like = st.sampled_from(DURATIONS)
        elif re.fullmatch(r"\d{4}-\d\d-\d\dT.*", current):
            looks_like = st.sampled_from(MOMENTS)
        elif re.fullmatch(r"[a-z][a-z0-9-]*", current):
            names = _names(doc) or ["x"]
            looks_like = st.builds(lambda a, infix, b: f"{a}{infix}{b}", st.sampled_from(names),
                                   st.sampled_from(NAME_INFIXES), st.sampled_from(names))
        elif re.fullmatch(r"\d\d:\d\d", current):
            looks_like = st.sampled_from(["00:00", "23:59", "24:00", "24:01", "9:00", "12:60", "12:00"])
    elif isinstance(current, bool):
        looks_like = st.booleans()
    elif isinstance(current, int | float):
        looks_like = st.sampled_from(NUMBERS)
    elif isinstance(current, list) and current:
        looks_like = st.just(current * draw(st.sampled_from([2, 50])))
    # A copy: the pools hold mutable values ([], {}), and a later mutation must not change them for the next case.
    return copy.deepcopy(draw(st.one_of(looks_like, looks_like, scalars)))


@st.composite
def mutations(draw) -> Case:
    """A shipped catalog with one to three targeted changes."""
    name, seed = draw(st.sampled_from(seeds()))
    doc = copy.deepcopy(seed)
    notes = []
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "duplicate", "unknown-key", "deep", "huge"]))
        parent = _get(doc, path[:-1])
        where = ".".join(map(str, path))
        if op == "replace":
            value = _value_for(draw, _get(doc, path), doc)
            _set(doc, path, value)
            notes.append(f"{where}={value!r:.60}")
        elif op == "delete":
            del parent[path[-1]]
            notes.append(f"del {where}")
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
            notes.append(f"dup {where}")
        elif op == "unknown-key" and isinstance(_get(doc, path), dict):
            _get(doc, path)["surprise"] = 1
            notes.append(f"{where}.surprise")
        elif op == "deep":
            value: object = "leaf"
            depth = draw(st.sampled_from([50, 200, 1000]))
            for _ in range(depth):
                value = [value]
            _set(doc, path, value)
            notes.append(f"{where}=[...{depth} deep]")
        elif op == "huge":
            size = draw(st.sampled_from([10_000, 200_000]))
            _set(doc, path, "x" * size)
            notes.append(f"{where}='x'*{size}")
    description = f"{name}: " + "; ".join(notes)
    try:
        text = _dump(doc)
    except (ValueError, RecursionError):
        text = json.dumps(doc, allow_nan=True)  # JSON is YAML; PyYAML's emitter gives up on very deep nesting
    return Case("mutation", description, _file(text))


# --- Damaged YAML text ----------------------------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)
TEXTS = {
    "empty file": "",
    "a scalar": "just text\n",
    "a list": "- a\n- b\n",
    "null": "~\n",
    "an alias bomb": BOMB + "teams: *i\n",
    "a recursive alias": "teams: &t [*t]\n",
    "a recursive mapping": "teams:\n  - &team {name: a, self: *team}\n",
    "1000 nested lists": "teams: " + "[" * 1000 + "]" * 1000 + "\n",
    "1000 nested mappings": "teams: " + "{a: " * 1000 + "b" + "}" * 1000 + "\n",
    "a complex mapping key": "? [a, b]\n: c\nteams: []\n",
    "a complex key inside a team": "teams:\n  - ? {a: 1}\n    : x\n",
    "a python tag": "name: !!python/object/apply:os.system ['true']\n",
    "a binary tag": "name: !!binary aGVsbG8=\n",
    "a set": "teams: !!set {a, b}\n",
    "a timestamp name": "name: 2026-01-01\nplatform_team: a\nsecurity_team: a\nteams: []\n",
    "tabs": "name:\tx\n\tteams: []\n",
    "two documents": "name: a\n---\nname: b\n",
    "a duplicate key": "name: a\nname: b\n",
    "an integer key": "1: a\nteams: []\n",
    "a null key": "~: a\nteams: []\n",
}


@st.composite
def damaged_texts(draw) -> Case:
    """A shipped catalog's YAML with bytes cut, flipped or inserted, or a known-hostile document."""
    if draw(st.booleans()):
        title = draw(st.sampled_from(sorted(TEXTS)))
        return Case("text", title, _file(TEXTS[title]))
    name, seed = draw(st.sampled_from(seeds()))
    data = bytearray(_dump(seed).encode())
    op = draw(st.sampled_from(["truncate", "flip", "insert", "random", "bom", "invalid-utf8", "nul"]))
    at = draw(st.integers(0, len(data) - 1))
    if op == "truncate":
        data = data[:at]
    elif op == "flip":
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif op == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=16))
    elif op == "random":
        data = bytearray(draw(st.binary(min_size=1, max_size=512)))
    elif op == "bom":
        data[0:0] = b"\xef\xbb\xbf"
    elif op == "invalid-utf8":
        data[at:at] = b"\xff\xfe"
    else:
        data[at:at] = b"\x00"
    return Case("text", f"{name}: {op} at byte {at}", _file(bytes(data)))


# --- Paths that are not one readable YAML file ----------------------------------------------------------------------


def _layouts() -> dict[str, Callable[[Path], Path]]:
    small = (PROJECT_DIR / "tests" / "data" / "catalogs" / "small.yaml").read_text()

    def empty_dir(d: Path) -> Path:
        (d / "catalog").mkdir()
        return d / "catalog"

    def dir_with_subdir(d: Path) -> Path:
        (d / "catalog" / "teams.yaml").mkdir(parents=True)
        return d / "catalog"

    def split_dir(d: Path) -> Path:
        doc = yaml.safe_load(small)
        (d / "catalog").mkdir()
        teams = doc.pop("teams")
        (d / "catalog" / "org.yaml").write_text(_dump({**doc, "teams": teams[:1]}))
        (d / "catalog" / "more.yaml").write_text(_dump({"teams": teams[1:]}))
        return d / "catalog"

    def dir_twice_the_same_key(d: Path) -> Path:
        (d / "catalog").mkdir()
        (d / "catalog" / "a.yaml").write_text(small)
        (d / "catalog" / "b.yaml").write_text(small)
        return d / "catalog"

    def symlink_loop(d: Path) -> Path:
        os.symlink(d / "b.yaml", d / "a.yaml")
        os.symlink(d / "a.yaml", d / "b.yaml")
        return d / "a.yaml"

    def symlink_self(d: Path) -> Path:
        os.symlink(d / "catalog.yaml", d / "catalog.yaml")
        return d / "catalog.yaml"

    def loop_inside_dir(d: Path) -> Path:
        (d / "catalog").mkdir()
        (d / "catalog" / "org.yaml").write_text(small)
        os.symlink(d / "catalog" / "x.yaml", d / "catalog" / "x.yaml")
        return d / "catalog"

    def dangling(d: Path) -> Path:
        os.symlink(d / "nowhere.yaml", d / "catalog.yaml")
        return d / "catalog.yaml"

    def missing(d: Path) -> Path:
        return d / "missing.yaml"

    def fifo(d: Path) -> Path:
        os.mkfifo(d / "catalog.yaml")
        return d / "catalog.yaml"

    def endless(d: Path) -> Path:
        os.symlink("/dev/zero", d / "catalog.yaml")
        return d / "catalog.yaml"

    def too_large(d: Path) -> Path:
        (d / "catalog.yaml").write_text(small + "#" + "x" * (9 << 20) + "\n")
        return d / "catalog.yaml"

    def many_files(d: Path) -> Path:
        (d / "catalog").mkdir()
        (d / "catalog" / "org.yaml").write_text(small)
        for i in range(300):
            (d / "catalog" / f"empty-{i:03d}.yaml").write_text("teams: []\n")
        return d / "catalog"

    return {f.__name__.replace("_", " "): f for f in (
        empty_dir, dir_with_subdir, split_dir, dir_twice_the_same_key, symlink_loop, symlink_self, loop_inside_dir,
        dangling, missing, fifo, endless, too_large, many_files)}


LAYOUTS = _layouts()
layouts = st.sampled_from(sorted(LAYOUTS)).map(lambda name: Case("file", name, LAYOUTS[name]))


# --- From the schema --------------------------------------------------------------------------------------------------


@cache
def _schema_strategy() -> st.SearchStrategy:
    schema = json.loads((PROJECT_DIR / "schema" / "catalog.schema.json").read_text())
    return SchemaStrategies(schema).strategy(schema)


@st.composite
def from_schema(draw) -> Case:
    """A document the schema accepts; half of them with team references pointed at teams that exist."""
    doc = draw(_schema_strategy())
    if draw(st.booleans()) and doc.get("teams"):
        names = [t["name"] for t in doc["teams"]]
        doc["platform_team"], doc["security_team"] = names[0], names[-1]
    return Case("schema", json.dumps(doc)[:200], _file(_dump(doc)))


def cases() -> st.SearchStrategy[Case]:
    return st.one_of(mutations(), mutations(), mutations(), damaged_texts(), layouts, from_schema())
