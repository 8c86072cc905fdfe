"""Rendering is deterministic, and everything rendered passes the real tools; broken artifacts fail them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli import build, checks, recorder
from tests.conftest import PROJECT_DIR, SMALL_CATALOG, STACKS


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, dict[str, str], recorder.Inventory]]:
    out = {}
    for stack in STACKS:
        for catalog in (None, SMALL_CATALOG):
            root = tmp_path_factory.mktemp(f"{stack}-{'small' if catalog else 'example'}")
            inventory, target, files = build.render_stack(stack, root, catalog)
            out[(stack, "small" if catalog else "example")] = (target, files, inventory)
    return out


def _tree(root: Path) -> dict[str, bytes]:
    """Every file a render wrote, as bytes; its own bookkeeping (timestamps, caches) aside."""
    skip = {".cache", ".verdicts", build.TESTS_DIR, build.SOURCE_FILE, build.STATE_FILE}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in skip
    }


@pytest.mark.parametrize("stack", STACKS)
def test_renders_in_fresh_processes_with_different_hash_seeds_are_byte_identical(stack, rendered, tmp_path):
    """A set or dict iterated in hash order would differ between processes, not between two calls in one."""
    target, _, _ = rendered[(stack, "example")]
    expected = _tree(target)
    assert len(expected) > 50
    for seed in ("1", "2"):
        out = tmp_path / seed
        result = subprocess.run([sys.executable, "-m", "cli", "render", "--stack", stack, "--build-dir", str(out)],
                                cwd=PROJECT_DIR, env={**os.environ, "PYTHONHASHSEED": seed},
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        written = _tree(out / stack)
        assert written.keys() == expected.keys()
        differing = [name for name in expected if written[name] != expected[name]]
        assert not differing, f"PYTHONHASHSEED={seed} wrote different bytes: {differing[:5]}"


@pytest.mark.parametrize("key", [(s, c) for s in STACKS for c in ("example", "small")], ids=str)
def test_everything_rendered_passes_the_real_tools(key, rendered):
    target, _, _ = rendered[key]
    findings = checks.run_all(target)
    failed = [f"{f.check} {f.subject}: {f.detail}" for f in findings if not f.ok]
    assert not failed
    kinds = {f.check for f in findings}
    assert {"amtool check-config", "promtool check rules", "vmalert -dryRun", "kubernetes schema"} <= kinds


def test_the_build_holds_the_files_the_tools_read(rendered):
    target, files, _ = rendered[("prod", "example")]
    assert "alertmanager/alertmanager.yaml" in files
    assert "releases.yaml" in files
    assert any(name.startswith("rules/") for name in files)
    assert any(name.startswith("manifests/") for name in files)


def test_no_secret_value_appears_in_any_rendered_file(rendered):
    for _target, files, inventory in rendered.values():
        for value in inventory.placeholders.values():
            leaks = [name for name, text in files.items() if value in text]
            assert not leaks, f"{value} leaked into {leaks}"


def test_rendered_secrets_carry_their_keys_but_no_values(rendered):
    _, files, _ = rendered[("prod", "example")]
    secret = yaml.safe_load(files["manifests/secret-monitoring-alertmanager-receivers.yaml"])
    assert secret["stringData"]["slack-bot-token"] == ""


def _break(target: Path, tmp_path: Path, rel: str, old: str, new: str) -> Path:
    copy = tmp_path / "broken"
    shutil.copytree(target, copy)
    path = copy / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return copy


def test_a_broken_alertmanager_config_fails_with_amtools_own_message(rendered, tmp_path):
    target, _, _ = rendered[("dev", "example")]
    broken = _break(target, tmp_path, "alertmanager/alertmanager.yaml", "receiver: catch-all", "receiver: nobody")
    (finding,) = [f for f in checks.run_all(broken) if f.check == "amtool check-config"]
    assert not finding.ok
    assert 'undefined receiver "nobody" used in route' in finding.detail


def test_a_broken_rule_fails_promtool_and_vmalert(rendered, tmp_path):
    target, _, _ = rendered[("dev", "example")]
    broken = _break(target, tmp_path, "rules/payments-service-health.yaml", "== 0", "== ")
    by_check = {f.check: f for f in checks.run_all(broken)}
    assert not by_check["promtool check rules"].ok and "parse error" in by_check["promtool check rules"].detail
    assert not by_check["vmalert -dryRun"].ok and "bad MetricsQL expr" in by_check["vmalert -dryRun"].detail


def test_a_manifest_with_an_unknown_field_fails_its_schema(rendered, tmp_path):
    target, _, _ = rendered[("dev", "example")]
    broken = _break(target, tmp_path, "manifests/namespace-cluster-monitoring.yaml", "metadata:", "metadatum:")
    failed = [f for f in checks.run_all(broken) if not f.ok]
    assert [f.subject for f in failed] == ["manifests/namespace-cluster-monitoring.yaml"]


def test_a_custom_resource_with_a_field_its_crd_lacks_fails(rendered, tmp_path):
    target, _, _ = rendered[("dev", "example")]
    broken = _break(target, tmp_path, "manifests/configgroup-alerting-victoriametrics-rules-data.yaml", "  groups:", "  groupz:")
    failed = [f for f in checks.run_all(broken) if not f.ok]
    assert len(failed) == 1 and "groupz" in failed[0].detail


def test_helm_values_that_break_the_charts_schema_fail(rendered, tmp_path):
    target, _, _ = rendered[("prod", "example")]
    broken = _break(target, tmp_path, "releases.yaml", "replicaCount: 3", "replicaCount: three")
    failed = [f for f in checks.run_all(broken) if not f.ok]
    # Helm validates the merged values against the chart's values.schema.json itself.
    helm = [f for f in failed if f.check == "helm template"]
    assert [f.subject for f in helm] == ["release monitoring/alertmanager (alertmanager 1.42.0): not rendered"]
    assert "replicaCount" in helm[0].detail and "schema" in helm[0].detail


def test_two_generators_writing_one_rule_file_is_refused_naming_the_catalog(tmp_path, small_catalog_doc):
    from model.errors import InputError
    from stacks import from_values
    from tests.conftest import stack_values, write_yaml

    # Team `slo-web-service`'s health rules and service web's SLO `service-health` both land in one file name.
    doc = small_catalog_doc
    doc["teams"][1]["name"] = "slo-web"
    doc["teams"][0]["services"][0]["slos"] = [
        {"name": "service-health", "objective": 99, "sli": {"kind": "ratio", "total": "requests_total", "errors": "failures_total"}}
    ]
    path = write_yaml(tmp_path / "catalog.yaml", doc)
    with pytest.raises(InputError) as caught:
        from_values("dev", stack_values("dev", path))
    assert str(caught.value) == (
        f"{path}: teams: two generated rule files would both be rules/slo-web-service-health.yaml; "
        "rename the team, service, SLO or budget whose name it joins"
    )


def test_a_build_renders_once_and_writes_the_files_of_the_stack_the_program_ran_with(tmp_path, monkeypatch):
    import render
    import stacks

    calls = []
    real = render.render

    def counted(org, settings):
        calls.append(settings)
        return real(org, settings)

    monkeypatch.setattr(render, "render", counted)
    inventory, target, files, built = build.build_stack("dev", tmp_path, tests=False)
    assert len(calls) == 1
    assert built is inventory.stack_built and stacks.last_loaded is None
    assert (target / "alertmanager" / "alertmanager.yaml").read_text() == built.artifacts.files()["alertmanager/alertmanager.yaml"]
