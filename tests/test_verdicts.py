"""Behaviour-test verdicts are kept by the digest of what produced them: a plan that changed nothing re-runs no
behaviour test, one changed rule file re-runs the tests that read it, and a failure is kept as a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import checks, tools

RULES = """groups:
  - name: demo
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
"""
TEST = """rule_files:
  - ../rules/demo.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: up{job="api", instance="a"}
        values: 1x10
      - series: up{job="api", instance="b"}
        values: 1x10
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 5m
        exp_samples:
          - labels: job:up:sum{job="api"}
            value: 2
"""


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    stack = tmp_path / "build" / "dev"
    (stack / "rules").mkdir(parents=True)
    (stack / "rule-tests").mkdir()
    (stack / "rules" / "demo.yaml").write_text(RULES)
    (stack / "rule-tests" / "demo.yaml").write_text(TEST)
    return stack


@pytest.fixture
def runs(monkeypatch) -> list[tuple[str, ...]]:
    """Every real tool invocation (the tool still runs)."""
    calls: list[tuple[str, ...]] = []
    real = tools.run

    def counting(name, *args, **kwargs):
        calls.append((name, *args))
        return real(name, *args, **kwargs)

    monkeypatch.setattr(tools, "run", counting)
    monkeypatch.setattr(checks, "_verdicts", {})  # a new process each time: only the disk remembers
    return calls


def _verdicts(build_dir: Path) -> list[bool]:
    checks._verdicts.clear()
    return [f.ok for f in checks.promtool_test_rules(build_dir)]


def test_an_unchanged_test_is_not_run_again(build_dir, runs):
    assert _verdicts(build_dir) == [True] and len(runs) == 1
    assert _verdicts(build_dir) == [True] and len(runs) == 1
    assert list((build_dir.parent / checks.VERDICTS_DIR).glob("*.json"))


def test_a_changed_rule_file_runs_its_tests_again_and_a_failure_stays_a_failure(build_dir, runs):
    assert _verdicts(build_dir) == [True]
    rules = build_dir / "rules" / "demo.yaml"
    rules.write_text(RULES.replace("sum by (job) (up)", "count by (job) (up) * 3"))
    assert _verdicts(build_dir) == [False] and len(runs) == 2
    assert _verdicts(build_dir) == [False] and len(runs) == 2
    rules.write_text(RULES)
    assert _verdicts(build_dir) == [True] and len(runs) == 2  # this content's verdict was kept
