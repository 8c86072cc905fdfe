"""Every catalog is refused with one line per problem naming the file and field, or renders into configs every
real tool accepts: a bounded property-based run here (FUZZ_CASES, default 24), the long one with `make fuzz`.

The inputs (tests/fuzz/cases.py) are drawn from the catalog's JSON Schema, targeted mutations of the shipped
catalogs, damaged YAML text and paths that are no YAML file; the rule is tests/fuzz/oracle.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from model.errors import InputError
from model.loading import MAX_DEPTH, load_catalog
from tests.fuzz.cases import LAYOUTS, TEXTS, cases
from tests.fuzz.oracle import judge

CASES = int(os.environ.get("FUZZ_CASES", "24"))
DEADLINE = 60.0


@settings(max_examples=CASES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_every_catalog_is_refused_cleanly_or_rendered_and_accepted_by_the_real_tools(case, tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    (work / "input").mkdir()
    verdict = judge(case.write(work / "input"), work, seconds=DEADLINE)
    assert verdict.outcome in ("refused", "rendered"), f"{case!r}\n{verdict.detail}"


# The hostile inputs one by one, with the line each must give: the fuzz run above draws only some of them.


@pytest.mark.parametrize("title", sorted(TEXTS))
def test_hostile_yaml_is_refused_naming_the_file(title, tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(TEXTS[title])
    with pytest.raises(InputError) as caught:
        load_catalog(path)
    for problem in caught.value.problems:
        assert problem.source == str(path) and problem.path and problem.message


@pytest.mark.parametrize(
    ("layout", "says"),
    [
        ("symlink loop", "a symbolic link loop"),
        ("symlink self", "a symbolic link loop"),
        ("fifo", "not a regular file"),
        ("endless", "not a regular file"),
        ("too large", "larger than 8 MiB"),
        ("dir with subdir", "is a directory"),
        ("empty dir", "no *.yaml catalog files"),
        ("dangling", "No such file or directory"),
        ("missing", "No such file or directory"),
        ("loop inside dir", "a symbolic link loop"),
    ],
)
def test_a_path_that_is_no_yaml_file_is_refused_with_the_reason(layout, says, tmp_path):
    path = LAYOUTS[layout](tmp_path)
    with pytest.raises(InputError) as caught:
        load_catalog(path)
    assert any(says in p.message for p in caught.value.problems), str(caught.value)


def test_nesting_is_refused_at_the_documented_depth_not_at_pythons_recursion_limit(tmp_path):
    inside = tmp_path / "inside.yaml"
    inside.write_text("teams: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    with pytest.raises(InputError) as caught:
        load_catalog(inside)
    assert "nested deeper" not in str(caught.value)
    outside = tmp_path / "outside.yaml"
    outside.write_text("teams: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    with pytest.raises(InputError, match=f"{outside}: line 1: nested deeper than {MAX_DEPTH} levels"):
        load_catalog(outside)


def test_an_impossible_date_is_refused_with_its_line(tmp_path, small_catalog_doc):
    from tests.conftest import write_yaml

    path = write_yaml(tmp_path / "c.yaml", small_catalog_doc)
    path.write_text(path.read_text() + "extra: 2026-02-30 10:00:00\n")
    with pytest.raises(InputError, match=r"c.yaml: line \d+: '2026-02-30 10:00:00' is not a date: day is out of range"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        # Prometheus' own parser takes 292y (int64 nanoseconds) and refuses 293y; the catalog stops at 10y.
        (("teams", 0, "escalation", "steps", 1, "after"), "293y", "must be at most 10y"),
        (("teams", 0, "services", 0, "slos", 0, "period"), "366d", "must be at most 1y"),
        (("teams", 0, "services", 0, "slos", 0, "alerting", "page_for"), "25h", "must be at most 1d"),
        (("teams", 0, "services", 0, "slos", 0, "alerting", "interval"), "2h", "must be at most 1h"),
        (("teams", 0, "maintenance", 0, "once", "end"), "9999-12-31T23:00:00", "years 2000 to 2999"),
        # vmalert-tool's VictoriaMetrics refused the rules of a 10,000-character metric name (query over 16 KiB).
        (("teams", 0, "services", 0, "slos", 0, "sli", "total"), "x" * 10_000, "longer than 1024 characters"),
        (("teams", 0, "maintenance", 0, "once", "end"), "2028-01-01T00:00:00", "at most 366 days"),
    ],
)
def test_durations_and_dates_past_their_documented_bounds_are_refused(where, value, message, tmp_path, small_catalog_doc):
    from model.errors import format_path
    from tests.conftest import write_yaml

    doc = small_catalog_doc
    doc["teams"][0]["services"][0]["slos"] = [
        {"name": "up", "objective": 99, "sli": {"kind": "ratio", "total": "requests_total", "errors": "failures_total"}}
    ]
    doc["teams"][0]["maintenance"] = [
        {"name": "move", "once": {"start": "2026-06-01T00:00:00", "end": "2026-06-02T00:00:00"}}
    ]
    node = doc
    for part in where[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[where[-1]] = value
    path = write_yaml(tmp_path / "c.yaml", doc)
    with pytest.raises(InputError) as caught:
        load_catalog(path)
    field = format_path(where[:-1] if where[-2] == "once" else where)
    # pydantic names the member of a tagged union it validated against (sli.ratio.total): that is part of the field.
    assert any(p.source == str(path) and p.path.replace(".ratio.", ".") == field and message in p.message
               for p in caught.value.problems), str(caught.value)


def test_two_teams_whose_time_interval_names_once_collided_both_render_and_pass_amtool(tmp_path, small_catalog_doc):
    from cli import tools
    from render.yamlio import dump
    from tests.conftest import stack_values, write_yaml

    # Before names were joined with "/": infra-maintenance-b's business hours and infra's window b-business-hours.
    doc = small_catalog_doc
    doc["teams"][1]["name"] = "infra-maintenance-b"
    doc["teams"][0]["maintenance"] = [{"name": "b-business-hours", "weekly": {"weekdays": ["sunday"], "start": "01:00", "end": "02:00"}}]
    path = write_yaml(tmp_path / "c.yaml", doc)
    from stacks import from_values

    stack = from_values("dev", stack_values("dev", path))
    names = [i["name"] for i in stack.artifacts.alertmanager["time_intervals"]]
    assert len(names) == len(set(names)) == 3
    config = Path(tmp_path / "alertmanager.yaml")
    config.write_text(dump(stack.artifacts.alertmanager))
    for name, text in stack.artifacts.alertmanager_templates.items():
        (tmp_path / name).write_text(text)
    result = tools.run("amtool", "check-config", str(config))
    assert result.ok, result.output
