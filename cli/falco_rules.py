"""The Falco rules the platform loads, checked against the upstream rule sets and the libraries' own field list.

Falco is not available here, so each part of what `falco -V` would do is done by what is:

* the rule sets at the pinned versions are vendored (cli/data/falco/, see SOURCE.md there): every rule the platform
  enables must exist in them;
* macros and lists are resolved as Falco resolves them, in load order (the three sets, then the catalog's file):
  a bare name where a condition expects a check must be a macro, a name inside a value list may be a list;
* every field a condition or output uses must be in the libraries' field list: `sysdig -l` (Debian's sysdig, built
  on the same falcosecurity libraries) plus the fields of the container plugin the falco chart loads;
* the fully expanded condition is compiled by sysdig's filter compiler (it compiles a filter before it reads a
  capture), with each plugin field replaced by a core field of the same shape, since Debian's sysdig has no plugin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cli import tools
from render import yamlio

DATA = Path(__file__).parent / "data" / "falco"
RULE_SET_FILES = ("falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml")
"""In the order Falco loads them (render.systems.falco.RULE_SETS)."""

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(?P<op><=|>=|!=|==|=|<|>)|(?P<punct>[(),])"""
    r"""|(?P<word>[^\s(),=<>!"']+))"""
)
FIELD = re.compile(r"^[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+(?:\[[^\]]*\])?$")
BINARY = {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith", "bstartswith",
          "endswith", "glob", "iglob", "regex"}
LISTS = {"in", "intersects", "pmatch"}
TRANSFORMERS = {"tolower", "toupper", "b64", "basename", "len", "val"}
OUTPUT_FIELD = re.compile(r"%([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+(?:\[[^\]]*\])?)")


def base_field(name: str) -> str:
    """`k8s.pod.label[app]` -> `k8s.pod.label`."""
    return name.split("[", 1)[0]


@dataclass
class Definitions:
    """Macros and lists as loaded so far, in Falco's load order (a later definition replaces, `append` extends)."""

    macros: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    rules: dict[str, dict] = field(default_factory=dict)

    def load(self, items: list[dict]) -> None:
        for item in items:
            appends = item.get("append") is True or "append" in (item.get("override") or {}).values()
            if "macro" in item:
                name = item["macro"]
                if appends and name in self.macros and "condition" in item:
                    self.macros[name] = f"{self.macros[name]} {item['condition']}"
                elif "condition" in item:
                    self.macros[name] = item["condition"]
            elif "list" in item:
                name = item["list"]
                values = [str(v) for v in item.get("items") or []]
                self.lists[name] = self.lists.get(name, []) + values if appends else values
            elif "rule" in item and "condition" in item and not appends:
                self.rules[item["rule"]] = item


@cache
def upstream_items() -> tuple[tuple[str, tuple[dict, ...]], ...]:
    """(file, items) of each vendored rule set, in load order."""
    return tuple((name, tuple(yamlio.load((DATA / name).read_text()))) for name in RULE_SET_FILES)


def upstream_definitions() -> Definitions:
    defs = Definitions()
    for _, items in upstream_items():
        defs.load(list(items))
    return defs


def upstream_rules() -> dict[str, tuple[str, dict]]:
    """Every rule of the pinned rule sets by name: (the file it is in, its definition)."""
    return {item["rule"]: (name, item) for name, items in upstream_items() for item in items if "rule" in item}


@dataclass(frozen=True)
class Expansion:
    """A condition with its macros and lists resolved, and what it uses."""

    text: str
    fields: frozenset[str]
    macros: frozenset[str]
    lists: frozenset[str]
    problems: tuple[str, ...]


class _Expander:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.fields: set[str] = set()
        self.macros: set[str] = set()
        self.lists: set[str] = set()
        self.problems: list[str] = []

    def tokens(self, text: str) -> list[tuple[str, str]]:
        out, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                self.problems.append(f"cannot read the condition at {text[pos:pos + 20]!r}")
                return out
            kind = m.lastgroup or ""
            out.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return out

    def list_items(self, name: str, seen: tuple[str, ...] = ()) -> list[str]:
        if name in seen:
            self.problems.append(f"list {name} contains itself")
            return []
        self.lists.add(name)
        out = []
        for item in self.defs.lists[name]:
            out += self.list_items(item, (*seen, name)) if item in self.defs.lists else [item]
        return out

    def expand(self, text: str, seen: tuple[str, ...] = ()) -> str:
        toks = self.tokens(text)
        out: list[str] = []
        i, state, depth = 0, "check", 0

        def take() -> tuple[str, str]:
            nonlocal i
            tok = toks[i] if i < len(toks) else ("", "")
            i += 1
            return tok

        while i < len(toks):
            kind, value = take()
            word = value.lower() if kind == "word" else value
            if state == "check":
                if word == "not":
                    out.append("not")
                elif value == "(":
                    depth += 1
                    out.append("(")
                elif kind == "word" and word in TRANSFORMERS and i < len(toks) and toks[i][1] == "(":
                    inner = []
                    take()
                    while i < len(toks) and toks[i][1] != ")":
                        inner.append(take()[1])
                    take()
                    for name in inner:
                        if FIELD.match(name):
                            self.fields.add(base_field(name))
                    out.append(f"{value}({' '.join(inner)})")
                    state = "op"
                elif kind == "word" and FIELD.match(value):
                    self.fields.add(base_field(value))
                    out.append(value)
                    state = "op"
                elif kind == "word" and value in self.defs.macros:
                    if value in seen:
                        self.problems.append(f"macro {value} refers to itself")
                        return ""
                    self.macros.add(value)
                    out.append("(" + self.expand(self.defs.macros[value], (*seen, value)) + ")")
                    state = "after"
                else:
                    self.problems.append(f"{value!r} is neither a field nor a defined macro")
                    state = "after"
            elif state == "op":
                if word == "exists":
                    out.append("exists")
                    state = "after"
                elif word in LISTS:
                    out.append(word)
                    if take()[1] != "(":
                        self.problems.append(f"{word} needs a parenthesised list")
                        return " ".join(out)
                    items: list[str] = []
                    while i < len(toks) and toks[i][1] != ")":
                        k, v = take()
                        if v == ",":
                            continue
                        if k == "word" and v in self.defs.lists:
                            items += self.list_items(v)
                        else:
                            items.append(v)
                    take()
                    out.append("(" + ", ".join(items) + ")")
                    state = "after"
                elif word in BINARY or kind == "op":
                    out.append(value)
                    k, v = take()
                    if k == "word" and v.lower() in TRANSFORMERS and i < len(toks) and toks[i][1] == "(":
                        inner = []
                        take()
                        while i < len(toks) and toks[i][1] != ")":
                            inner.append(take()[1])
                        take()
                        self.fields.update(base_field(n) for n in inner if FIELD.match(n))
                        v = f"{v}({' '.join(inner)})"
                    out.append(v)
                    state = "after"
                else:
                    self.problems.append(f"expected an operator, found {value!r}")
                    return " ".join(out)
            else:  # after a check
                if word in ("and", "or"):
                    out.append(word)
                    state = "check"
                elif value == ")":
                    depth -= 1
                    out.append(")")
                else:
                    self.problems.append(f"expected and, or or ')', found {value!r}")
                    return " ".join(out)
        if depth:
            self.problems.append("unbalanced parentheses")
        return " ".join(out).replace("( ", "(").replace(" )", ")")


def expand(condition: str, defs: Definitions) -> Expansion:
    expander = _Expander(defs)
    text = expander.expand(condition)
    return Expansion(
        text, frozenset(expander.fields), frozenset(expander.macros), frozenset(expander.lists), tuple(expander.problems)
    )


# --- The libraries' fields -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PluginField:
    name: str
    type: str
    arg: str


@cache
def plugin_fields() -> dict[str, PluginField]:
    """The container plugin's fields (container.*, k8s.pod.*, k8s.ns.*), from its README at the chart's version."""
    out = {}
    for line in (DATA / "container-plugin-fields.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, type_, arg = line.split("\t")
        out[name] = PluginField(name, type_, arg)
    return out


def parse_field_list(text: str) -> set[str]:
    """Field names from `sysdig -l`: the lines that start with a name, under each `Field Class` header."""
    names = set()
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith(("-", "Field Class:", "Description:", "Event Sources:")):
            name = line.split()[0]
            if FIELD.match(name):
                names.add(base_field(name))
    return names


@cache
def library_fields() -> frozenset[str]:
    """`sysdig -l`: every field of the falcosecurity libraries Debian's sysdig is built on."""
    result = tools.run("sysdig", "-l", timeout=60)
    if not result.ok:
        raise tools.ToolMissing(f"sysdig -l failed: {result.output[:300]}")
    return frozenset(parse_field_list(result.stdout))


@cache
def sysdig_version() -> str:
    return tools.run("sysdig", "--version", timeout=60).output.strip()


def unknown_fields(fields: set[str] | frozenset[str]) -> list[str]:
    known = library_fields() | set(plugin_fields())
    return sorted(f for f in fields if f not in known)


STAND_INS = {("string", "None"): "proc.name", ("bool", "None"): "evt.failed"}
"""A core field of the same type and argument for each kind of plugin field, so sysdig can compile the rest."""


def without_plugin_fields(text: str) -> str:
    """The condition with every container-plugin field replaced by a core field of the same shape."""

    def swap(match: re.Match) -> str:
        name, arg = match.group(1), match.group(2) or ""
        plugin = plugin_fields().get(name)
        if plugin is None:
            return match.group(0)
        if arg:
            return f"proc.env{arg}"  # a core string field that takes a key, like k8s.pod.label[...]
        return STAND_INS.get((plugin.type, plugin.arg), "proc.name")

    return re.sub(r"(?<![\w.])([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)(\[[^\]]*\])?", swap, text)


def compile_with_sysdig(text: str) -> tuple[bool, str]:
    """Whether the libraries' filter compiler accepts the condition: sysdig compiles it, then fails to read /dev/null."""
    result = tools.run("sysdig", "-r", "/dev/null", without_plugin_fields(text), timeout=60)
    if "error reading from file" in result.output:
        return True, ""
    return False, result.output.strip()


# --- Checking a rules file -------------------------------------------------------------------------------------


@cache
def rules_schema() -> dict:
    return json.loads((DATA / "falco_rules.schema.json").read_text())


def schema_problems(items: object) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft6Validator(rules_schema())
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(file)'}: {e.message}"
        for e in sorted(validator.iter_errors(items), key=lambda e: list(e.absolute_path))
    ]


def rule_problems(items: list[dict], compile_: bool = True) -> Iterator[tuple[str, list[str]]]:
    """(rule, problems) of every rule of a file loaded after the pinned rule sets."""
    defs = upstream_definitions()
    defs.load(items)
    for item in items:
        if "rule" not in item or "condition" not in item:
            continue
        found = expand(item["condition"], defs)
        problems = list(found.problems)
        output_fields = {base_field(f) for f in OUTPUT_FIELD.findall(item.get("output", ""))}
        for name in unknown_fields(found.fields | output_fields):
            problems.append(f"field {name} is in neither the libraries' field list nor the container plugin's")
        if compile_ and not problems:
            ok, message = compile_with_sysdig(found.text)
            if not ok:
                problems.append(f"sysdig does not compile the expanded condition: {message}")
        yield item["rule"], problems
