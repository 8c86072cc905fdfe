"""Each fact once: the program and the policy pack read names, matchers, the routing tree and durations from one
package (packages/alerting_facts), installed into both, since the pack starts without the project on its path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from alerting_facts import names

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


LEFT = {"model/promql.py": {"Matcher", "_unquote"}}
"""Not yet on the shared package: PromQL selector matchers, parsed when a catalog is read (their errors are the
catalog's), which are PromQL's, not Alertmanager's, and should move onto promql-parser rather than here."""


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
