"""Each fact once: the program and the policy pack read names, matchers, the routing tree and durations from one
package (packages/alerting_facts), installed into both, since the pack starts without the project on its path."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting_facts import labels, names

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "packages" / "alerting_facts"
SOURCES = sorted(
    p for folder in ("components", "render", "behaviour", "model", "routing", "stacks", "cli", "policies")
    for p in (ROOT / folder).rglob("*.py")
)


def test_the_pack_starts_without_the_project_on_its_path_and_finds_the_facts():
    # As `pulumi preview --policy-pack policies` starts it: in policies/, with the pack's Python and nothing else.
    probe = (
        "import importlib.util, sys; sys.path.insert(0, '.'); import guardrails, alerting_facts; "
        "print(all(importlib.util.find_spec(m) is None for m in ('model', 'render', 'routing', 'stacks')))"
    )
    done = subprocess.run([sys.executable, "-I", "-c", probe], cwd=ROOT / "policies", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("requirements,entry", [
    ("requirements.txt", "-e ./packages/alerting_facts"),
    ("policies/requirements.txt", "../packages/alerting_facts"),
])
def test_both_environments_install_the_shared_package(requirements, entry):
    lines = [line.strip() for line in (ROOT / requirements).read_text().splitlines()]
    assert entry in lines
    # pip resolves the path from where it runs: the repository for the program, policies/ for the pack.
    base = ROOT / ("policies" if requirements.startswith("policies/") else "")
    target = (base / entry.removeprefix("-e ").strip()).resolve()
    assert target == PACKAGE and 'name = "alerting-facts"' in (target / "pyproject.toml").read_text()


SHARED = {
    name: value for name, value in vars(names).items()
    if name.isupper() and isinstance(value, str)
}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_a_shared_name_is_written_only_in_the_shared_package(name):
    value = SHARED[name]
    written = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in SOURCES
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Constant) and node.value == value
    ]
    assert not written, f"{name} ({value!r}) is written again at {written}: import it from alerting_facts.names"


LABELS = {name: value for name, value in vars(labels).items() if name.isupper() and isinstance(value, str)}
LABEL_CONTEXT = re.compile(r"label|annotation|group_by|^equal$", re.I)
"""Where a string is a label or annotation name: a dict key, variable, keyword or function named like this
(`labels=`, `"annotations": {...}`, `GROUP_BY`, `"equal": [...]`, `_label(group, ...)`), or the thing indexed
(`labels["team"]`, `rule.labels.get("severity")`, `"team" in labels`). PromQL text (`{team="$team"}` in a query
or a rule's expression) is another language, not counted: promtool, vmalert and the wiring check read it. A name no
English word shares (`sloth_id`, `runbook_url`, `pyrra.dev/`) counts wherever it is written."""


def label_names_written(tree: ast.AST) -> set[tuple[int, int, str]]:
    """(line, column, shared value) of every string naming a shared label in a label context (see LABEL_CONTEXT)."""
    values = set(LABELS.values())
    distinct = {v for v in values if "_" in v or "/" in v}
    out: set[tuple[int, int, str]] = set()

    def named(node: ast.AST) -> bool:
        return bool(LABEL_CONTEXT.search(ast.unparse(node)))

    def constants(node: ast.AST) -> Iterator[ast.Constant]:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and sub.value in values:
                yield sub

    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in ast.walk(tree):
        found: list[ast.Constant] = []
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and LABEL_CONTEXT.search(key.value):
                    found += constants(value)
        elif isinstance(node, ast.keyword) and node.arg and LABEL_CONTEXT.search(node.arg):
            found += constants(node.value)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(named(t) for t in targets):
                found += constants(node.value)
        elif isinstance(node, ast.Subscript) and named(node.value):
            found += [node.slice] if isinstance(node.slice, ast.Constant) and node.slice.value in values else []
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "setdefault", "pop"):
            if named(node.func.value) and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in values:
                found.append(node.args[0])
        elif isinstance(node, ast.Call) and LABEL_CONTEXT.search(ast.unparse(node.func).rsplit(".", 1)[-1]):
            found += [a for a in node.args if isinstance(a, ast.Constant) and a.value in values]
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and node.left.value in values:
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and any(named(c) for c in node.comparators):
                found.append(node.left)
        elif isinstance(node, ast.Constant) and node.value in distinct:
            found.append(node)
        out.update((c.lineno, c.col_offset, c.value) for c in found)
    for function in functions:
        if LABEL_CONTEXT.search(function.name):
            for ret in ast.walk(function):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    out.update((k.lineno, k.col_offset, k.value) for k in ret.value.keys if isinstance(k, ast.Constant) and k.value in values)
    return out


@pytest.mark.parametrize("name", sorted(LABELS))
def test_a_shared_label_name_is_written_only_in_the_shared_package(name):
    value = LABELS[name]
    written = sorted({
        f"{p.relative_to(ROOT)}:{line}"
        for p in SOURCES
        for line, _, found in label_names_written(ast.parse(p.read_text()))
        if found == value
    })
    assert not written, f"label {name} ({value!r}) is written again at {written}: import it from alerting_facts.labels"


def test_the_label_scan_finds_each_way_a_label_name_is_written():
    # Each line up to the function names one or two labels; the last four use the words otherwise and must not count.
    sample = """
rule = {"labels": {"team": t}, "annotations": {"runbook_url": u}}
alert(labels={"severity": s})
GROUP_BY = ["alertname", "team"]
route = {"equal": ["service"]}
labels.get("priority")
rule["labels"]["slo"]
x = "sloth_id" in (rule.get("labels") or {})
_label(group, "team")
def own_labels(t):
    return {"service": t}
target = "team"
ROOM = ("team", "service")
config = {"service": {"pipelines": {}}}
q = f'up{{team="{name}"}}'
"""
    found = [value for _, _, value in sorted(label_names_written(ast.parse(sample)))]
    assert found == ["team", "runbook_url", "severity", "team", "service", "priority", "slo", "sloth_id", "team", "service"]


# Prometheus' grammar (prometheus/common model.ParseDuration, docs "Time durations"): units from y down to ms, each
# at most once, largest first; a year is 365 days, a week 7; "0" is a duration and "" is not.
DURATIONS = [
    ("0", 0),
    ("250ms", 250),
    ("90s", 90_000),
    ("1h30m", 90 * 60_000),
    ("1m30s500ms", 90_500),
    ("4w", 28 * 86_400_000),
    ("1y2d", 367 * 86_400_000),
    ("", None),
    ("5", None),
    ("1.5h", None),
    ("-1m", None),
    ("5m1h", None),
    ("1 h", None),
    ("5M", None),
]


@pytest.mark.parametrize("text,ms", DURATIONS)
def test_the_catalog_and_the_pack_read_a_duration_the_same_way(text, ms):
    from model.base import Duration

    from alerting_facts import durations

    assert durations.milliseconds(text) == ms
    assert durations.seconds(text) == (None if ms is None else ms / 1000)
    if ms is None:
        with pytest.raises(ValueError, match="is not a duration"):
            Duration.parse(text)
    else:
        assert Duration.parse(text).milliseconds == ms


def test_only_the_shared_package_writes_the_duration_grammar():
    grammar = re.compile(r"\(\\d\+\)(?:ms|y)")
    written = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in SOURCES
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and grammar.search(node.value)
    ]
    assert not written, f"a duration grammar is written again at {written}: use alerting_facts.durations"


LEFT = {"model/promql.py": {"Matcher"}}
"""Not on the shared package: PromQL selector matchers, read by promql-parser when a catalog is read (their errors
are the catalog's); they are PromQL's, which the pack does not read, not Alertmanager's."""


@pytest.mark.parametrize("definition", ["Matcher", "MatcherError", "parse_matchers", "route_matchers", "seconds", "_unquote"])
def test_neither_side_keeps_its_own_matcher_or_duration_parser(definition):
    defined = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in SOURCES
        for node in ast.parse(p.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == definition
        and definition not in LEFT.get(p.relative_to(ROOT).as_posix(), set())
    ]
    assert not defined, f"{definition} is defined again at {defined}: use alerting_facts"
