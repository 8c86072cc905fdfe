"""The offline commands as a user runs them: clear messages and exit codes, never a Python traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR, write_yaml


def cli(*args: str, cwd=PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


BAD = {
    "An unknown field in a catalog names the file and field.": (
        lambda d: d["teams"][0]["services"][0].update(tierr="x"),
        "teams[0].services[0].tierr: Extra inputs are not permitted",
    ),
    "A dangling dependency names the file and field.": (
        lambda d: d["teams"][0]["services"][0]["depends_on"].append("nope"),
        "teams[0].services[0].depends_on[1]: unknown service 'nope'",
    ),
    "A bad duration names the file and field.": (
        lambda d: d["teams"][0]["escalation"]["steps"][1].update(after="soon"),
        "teams[0].escalation.steps[1].after: 'soon' is not a duration",
    ),
    "A budget's field is named as written, without the kind pydantic puts in the path.": (
        lambda d: d["teams"][0]["services"][0].setdefault("budgets", []).append({"kind": "backend", "name": "api", "api_p99": {"max": "-"}}),
        "teams[0].services[0].budgets[0].api_p99.max: '-' is not a duration",
    ),
    "An SLI's field is named as written.": (
        lambda d: d["teams"][0]["services"][0].setdefault("slos", []).append(
            {"name": "avail", "objective": 99, "period": "7d", "sli": {"kind": "ratio", "errors": "x_total"}}),
        "teams[0].services[0].slos[0].sli.total: Field required",
    ),
    "A missing kind says which kinds exist.": (
        lambda d: d["teams"][0]["services"][0].setdefault("slos", []).append(
            {"name": "avail", "objective": 99, "period": "7d", "sli": {"total": "x_total"}}),
        "teams[0].services[0].slos[0].sli: `kind` is missing: give one of ratio, latency, freshness, raw",
    ),
    "An unknown kind says which kinds exist.": (
        lambda d: d["teams"][0]["services"][0].setdefault("budgets", []).append({"kind": "mobile", "name": "app"}),
        "teams[0].services[0].budgets[0]: `kind` is none of the known kinds: frontend, backend, infrastructure",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_catalog_input_exits_non_zero_with_file_and_field(case, tmp_path, small_catalog_doc):
    mutate, expected = BAD[case]
    mutate(small_catalog_doc)
    path = write_yaml(tmp_path / "bad.yaml", small_catalog_doc)
    result = cli("render", "--stack", "dev", "--catalog", str(path), "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 2
    assert f"error: {path}: {expected}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unknown_stack_is_named(tmp_path):
    result = cli("render", "--stack", "staging", "--build-dir", str(tmp_path))
    assert result.returncode == 2
    assert "Pulumi.staging.yaml: (file): no such stack; known stacks: dev, prod" in result.stderr


def test_plan_prints_the_resource_tree_and_says_no_engine_was_involved(tmp_path):
    result = cli("plan", "--stack", "prod", "--build-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "alerting (alerting:index:Platform):" in result.stdout
    assert "alerting-alertmanager (alerting:index:Alertmanager): 3 resources" in result.stdout
    assert "No cluster and no Pulumi engine were involved" in result.stdout
    assert " 0 failed" in result.stdout
    # Every secret the stack needs, by name, with the command that sets it: 22 for prod (the post-mortem Jira's
    # password and Falco Talon's forensics keys among them), none set in the file.
    listed = re.findall(r"^  not set  (\S+)  \((.+)\)$", result.stdout, re.M)
    commands = re.findall(r"^  pulumi config set --stack prod --secret --path 'secrets\.(\S+)' <value>$", result.stdout, re.M)
    assert "secrets: Pulumi.prod.yaml needs 22, 0 set" in result.stdout
    assert [name for name, _ in listed] == commands and len(commands) == 22
    assert ("jira-postmortems", "incidents.postmortem.jira.password") in listed
    assert ("oncall-postgres-ca", "alerting-platform:oncall.postgres.caCertificate") in listed
    assert ("payments-pagerduty", "teams[1].pagerduty.routing_key") in listed
    assert ("forensics-access-key", "alerting-platform:falco.response.forensics.accessKey") in listed


@pytest.mark.parametrize("stack,count", [("dev", 10), ("prod", 22)])
def test_the_program_refuses_to_run_without_any_secret_plan_lists(stack, count):
    """The list is what the program needs: take any listed secret away and the program names it as missing."""
    from model.errors import InputError
    from stacks import from_values
    from tests.conftest import stack_values

    values = stack_values(stack)
    secrets = json.loads(values["alerting-platform:secrets"]) if isinstance(values["alerting-platform:secrets"], str) else values["alerting-platform:secrets"]
    assert len(secrets) == count
    for name in sorted(secrets)[:: max(1, count // 4)]:
        fewer = {**values, "alerting-platform:secrets": {k: v for k, v in secrets.items() if k != name}}
        with pytest.raises(InputError, match=rf"alerting-platform:secrets\.{re.escape(name)}: missing; referenced by"):
            from_values(stack, fewer)


def test_check_fails_when_nothing_was_rendered(tmp_path):
    result = cli("check", "--stack", "dev", "--build-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path / 'dev'}: (build directory): not written by `make render`: run it first" in result.stderr


def test_schema_writes_the_catalogs_json_schema(tmp_path):
    target = tmp_path / "catalog.schema.json"
    result = cli("schema", "--output", str(target))
    assert result.returncode == 0
    schema = json.loads(target.read_text())
    assert schema["title"] == "Organisation"
    assert "Service" in schema["$defs"] and schema["$defs"]["Service"]["additionalProperties"] is False


def test_the_committed_catalog_schema_is_current(tmp_path):
    target = tmp_path / "catalog.schema.json"
    cli("schema", "--output", str(target))
    assert target.read_text() == (PROJECT_DIR / "schema" / "catalog.schema.json").read_text(), "run `make schema`"


def test_an_empty_catalog_path_is_refused_saying_what_a_catalog_path_is(tmp_path):
    result = cli("render", "--stack", "dev", "--catalog", "", "--build-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--catalog: (option): empty: a catalog path names a catalog YAML file or a directory of catalog YAML files" in result.stderr
    assert not (tmp_path / "dev").exists()


def test_a_directory_of_pulumi_files_is_not_taken_for_a_catalog(tmp_path):
    result = cli("render", "--stack", "dev", "--catalog", str(PROJECT_DIR), "--build-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{PROJECT_DIR / 'Pulumi.dev.yaml'}: (file): a Pulumi project or stack file, not a catalog" in result.stderr
    assert "already given" not in result.stderr


def test_render_leaves_the_behaviour_tests_to_check_and_a_second_render_of_unchanged_inputs_writes_nothing(tmp_path):
    first = cli("render", "--stack", "dev", "--build-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    target = tmp_path / "dev"
    assert (target / "rules").is_dir() and not (target / "rule-tests").exists()
    times = {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.is_file()}
    second = cli("render", "--stack", "dev", "--build-dir", str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.is_file()} == times
    # A hand-edited file is noticed: the next render writes it back.
    edited = target / "karma" / "karma.yaml"
    original = edited.read_text()
    edited.write_text("edited: true\n")
    third = cli("render", "--stack", "dev", "--build-dir", str(tmp_path))
    assert "up to date" not in third.stdout
    assert edited.read_text() == original
