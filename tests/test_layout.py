"""The data path runs one way: stack config -> settings and catalog -> render -> artifacts -> components.

Components take settings and artifacts only: they never import the stack wiring (`stacks/`) nor see the catalog's
`Organisation`, so everything a component ships is in `Artifacts` and reaches `build/` for the checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = sorted((Path(__file__).resolve().parent.parent / "components").glob("*.py"))


def imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every import in the file, at any depth (functions import lazily too)."""
    out: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [(node.module or "", alias.name) for alias in node.names]
    return out


def test_the_layout_has_components_to_walk():
    assert {p.name for p in COMPONENTS} >= {"platform.py", "falco.py", "otel.py", "oncall_escalation.py"}


@pytest.mark.parametrize("path", COMPONENTS, ids=[p.name for p in COMPONENTS])
def test_a_component_imports_nothing_from_the_stack_wiring(path):
    found = [f"{m}.{n}" if n else m for m, n in imports(path) if m == "stacks" or m.startswith("stacks.")]
    assert not found, f"{path.name} imports {found}: take what it needs from settings or artifacts"


@pytest.mark.parametrize("path", COMPONENTS, ids=[p.name for p in COMPONENTS])
def test_a_component_never_sees_the_catalog(path):
    found = [f"{m}.{n}" for m, n in imports(path) if n == "Organisation" or (m, n) == ("model", "catalog")]
    assert not found, f"{path.name} imports {found}: the catalog reaches components only rendered, as artifacts"


def test_the_platform_is_built_from_settings_and_artifacts():
    tree = ast.parse((COMPONENTS[0].parent / "platform.py").read_text())
    platform = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Platform")
    init = next(n for n in platform.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert [(a.arg, ast.unparse(a.annotation) if a.annotation else None) for a in init.args.args] == [
        ("self", None), ("name", "str"), ("settings", "Settings"), ("artifacts", "Artifacts"), ("opts", "pulumi.ResourceOptions | None"),
    ]


ROOT = COMPONENTS[0].parent.parent
PROGRAM = sorted(p for folder in ("components", "render", "stacks", "model") for p in (ROOT / folder).rglob("*.py"))
RENDER_CONCERNS = {"alertmanager", "rules", "resources", "systems"}


@pytest.mark.parametrize("path", PROGRAM, ids=[str(p.relative_to(ROOT)) for p in PROGRAM])
def test_the_program_never_generates_behaviour_tests(path):
    """Behaviour tests are the CLI's: a generation error must surface where the checks run, never be carried (or
    skipped) inside what `pulumi up` renders."""
    found = [f"{m}.{n}" if n else m for m, n in imports(path) if m == "behaviour" or m.startswith("behaviour.")]
    assert not found, f"{path.relative_to(ROOT)} imports {found}: only cli/ generates behaviour tests"


def test_render_is_split_by_concern():
    """Every renderer sits in the folder of what it renders; only the hand-off (`Artifacts`) and the YAML writer
    stay at the top."""
    render = ROOT / "render"
    assert {p.name for p in render.iterdir() if p.is_dir() and p.name != "__pycache__"} == RENDER_CONCERNS
    assert {p.name for p in render.glob("*.py")} == {"__init__.py", "yamlio.py"}
    for concern in RENDER_CONCERNS:
        assert (render / concern / "__init__.py").read_text().startswith('"""'), f"render/{concern} says what it holds"
