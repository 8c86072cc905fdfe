"""Runtime security, checked by what reads it: the pinned upstream rule sets, Falco's rules schema and sysdig's field
list and filter compiler for the catalog's rules, Helm's rendering of the falco and falco-talon charts, Talon's
schema, and the Alertmanager routes (amtool) for the priority of a Falco event.

Expected values come from the vendored upstream files (cli/data/falco, see SOURCE.md there) and from the issue's
classes, never from render.systems.falco.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from cli import build, falco_checks, falco_rules, tools
from cli.release_checks import rendered
from model.errors import InputError
from model.security import UPSTREAM_RULES, Maturity, ThreatClass
from render.systems import falco
from render.yamlio import dump
from stacks import from_values
from tests.conftest import PROJECT_DIR, stack_values, write_yaml

DATA = PROJECT_DIR / "cli" / "data" / "falco"
FILE_OF = {
    Maturity.stable: "falco_rules.yaml",
    Maturity.incubating: "falco-incubating_rules.yaml",
    Maturity.sandbox: "falco-sandbox_rules.yaml",
}


@cache
def vendored(name: str) -> tuple[dict, ...]:
    return tuple(yaml.safe_load((DATA / name).read_text()))


def upstream_rule(name: str) -> tuple[str, dict]:
    found = [(f, i) for f in FILE_OF.values() for i in vendored(f) if i.get("rule") == name]
    assert len(found) == 1, f"{name}: {len(found)} definitions"
    return found[0]


@pytest.fixture(scope="module")
def prod_build(tmp_path_factory) -> Path:
    _, target, _ = build.render_stack("prod", tmp_path_factory.mktemp("build"))
    return target


def release_values(build_dir: Path, chart: str) -> dict:
    releases = yaml.safe_load((build_dir / "releases.yaml").read_text())["releases"]
    return next(r for r in releases if r["chart"] == chart)["values"]


# --- 1. Pinned rule sets, exactly the rules of the report's classes ---------------------------------------------


def test_the_vendored_rule_sets_are_the_files_source_md_pins():
    source = (DATA / "SOURCE.md").read_text()
    for name in FILE_OF.values():
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert f"| `{name}` |" in source and digest in source, name


def test_falcoctl_installs_each_rule_set_at_the_exact_version_of_its_vendored_file_and_never_follows(prod_build):
    values = release_values(prod_build, "falco")
    refs = values["falcoctl"]["config"]["artifact"]["install"]["refs"]
    # The tag each vendored file was taken at, as SOURCE.md records it: `falco-rules-5.1.0` is the ref `falco-rules:5.1.0`.
    tags = re.findall(r"tag `(falco(?:-incubating|-sandbox)?-rules)-(\d+\.\d+\.\d+)`", (DATA / "SOURCE.md").read_text())
    assert len(tags) == 3
    assert sorted(refs) == sorted(f"{artifact}:{version}" for artifact, version in tags)
    assert all(re.fullmatch(r"[a-z-]+:\d+\.\d+\.\d+", ref) for ref in refs), "a range or a major tag would follow releases"
    assert values["falcoctl"]["artifact"]["follow"]["enabled"] is False
    files = [Path(f).name for f in values["falco"]["rules_files"]]
    assert files == [*FILE_OF.values(), "rules.d"], "stable, incubating, sandbox, then the catalog's"


def test_the_falcoctl_helm_renders_installs_only_exact_versions_and_has_no_follower(prod_build):
    objects = [o for r in rendered(prod_build) if r.release.chart == "falco" for o in r.objects]
    config = next(yaml.safe_load(o["data"]["falcoctl.yaml"]) for o in objects if o["kind"] == "ConfigMap" and "falcoctl.yaml" in o.get("data", {}))
    # The chart adds the container plugin its collectors use (values.yaml `collectors.containerEngine.pluginRef`).
    assert config["artifact"]["install"]["refs"] == [
        "falco-rules:5.1.0", "falco-incubating-rules:6.0.1", "falco-sandbox-rules:6.1.0",
        "ghcr.io/falcosecurity/plugins/plugin/container:0.7.1",
    ]
    (daemonset,) = [o for o in objects if o["kind"] == "DaemonSet"]
    pod = daemonset["spec"]["template"]["spec"]
    containers = [c["name"] for c in pod["containers"]] + [c["name"] for c in pod.get("initContainers", [])]
    assert "falcoctl-artifact-install" in containers
    assert not [c for c in containers if "follow" in c], containers


REPORT_CLASSES = {
    # The report's words for each class, and a rule name fragment upstream gives each technique it names.
    ThreatClass.unexpected_process: ["new binary", "Fileless", "shell"],
    ThreatClass.sensitive_file_access: ["sensitive file", "AWS Credentials", "ssh"],
    ThreatClass.privilege_escalation: ["setuid", "Setuid", "Sudo", "PTRACE"],
    ThreatClass.container_escape: ["release_agent", "Mount Launched in Privileged", "Debugfs", "namespace"],
    ThreatClass.crypto_mining: ["Cryptominer", "Stratum", "miner pool ports"],
    ThreatClass.suspicious_network: ["Reverse Shell", "Netcat", "Network Tool"],
}


@pytest.mark.parametrize("threat", list(ThreatClass), ids=[t.value for t in ThreatClass])
def test_every_technique_the_report_names_has_an_enabled_rule_of_its_class(threat):
    names = [r.name for r in UPSTREAM_RULES if r.threat == threat]
    for fragment in REPORT_CLASSES[threat]:
        assert any(fragment in name for name in names), f"{threat.value}: nothing for {fragment!r}"


@pytest.mark.parametrize("rule", UPSTREAM_RULES, ids=[r.name for r in UPSTREAM_RULES])
def test_each_rule_is_in_the_rule_set_of_its_maturity_with_its_upstream_default(rule):
    file, item = upstream_rule(rule.name)
    assert file == FILE_OF[rule.maturity]
    assert f"maturity_{rule.maturity.value}" in item["tags"]
    assert item.get("enabled", True) is rule.enabled_upstream


def test_the_miner_pool_ports_rule_is_off_upstream_and_enabled_here(prod_build):
    _, item = upstream_rule("Detect outbound connections to common miner pool ports")
    assert item["enabled"] is False
    assert {"enable": {"rule": item["rule"]}} in release_values(prod_build, "falco")["falco"]["rules"]


def test_falco_runs_exactly_the_table_and_the_catalogs_rules(prod_build):
    """Falco's `rules` selection applied in order (upstream semantics: later entries win) to every loaded rule."""
    values = release_values(prod_build, "falco")["falco"]
    ours = [i for i in yaml.safe_load((prod_build / falco_checks.CATALOG_RULES).read_text()) if "rule" in i]
    loaded = {i["rule"]: set(i.get("tags", [])) for f in FILE_OF.values() for i in vendored(f) if "rule" in i}
    loaded.update({i["rule"]: set(i["tags"]) for i in ours})
    enabled = {name: True for name in loaded}
    for entry in values["rules"]:
        (verb, what), = entry.items()
        for name, tags in loaded.items():
            if what.get("rule") in ("*", name) or what.get("tag") in tags:
                enabled[name] = verb == "enable"
    expected = {r.name for r in UPSTREAM_RULES} | {"Unexpected process in payments-api", "Unexpected outbound connection from payments-api"}
    assert {n for n, on in enabled.items() if on} == expected


def test_falco_accepts_the_configuration_helm_renders(prod_build):
    findings = list(falco_checks.falco_config_schema(prod_build))
    assert [f.subject for f in findings] == ["ConfigMap falco: falco.yaml"]
    assert all(f.ok for f in findings), [f.detail for f in findings]


def test_a_configuration_key_falco_does_not_know_is_refused_by_its_schema():
    problems = falco_checks.schema_problems({"append_output": [{"match": {"rule": "x"}, "extra_field": ["a"]}]}, "falco_config.schema.json")
    assert problems and "extra_field" in problems[0]


# --- 2. The catalog's rules ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_rules(prod_build) -> list[dict]:
    return yaml.safe_load((prod_build / falco_checks.CATALOG_RULES).read_text())


def test_the_catalog_rules_file_is_valid_against_falcos_rules_schema(catalog_rules):
    assert falco_checks.schema_problems(catalog_rules, "falco_rules.schema.json") == []


def test_the_unexpected_process_rule_allows_exactly_the_profiles_processes(catalog_rules):
    rule = next(i for i in catalog_rules if i.get("rule") == "Unexpected process in payments-api")
    (used_list,) = re.findall(r"not proc\.name in \((\w+)\)", rule["condition"])
    allowed = next(i["items"] for i in catalog_rules if i.get("list") == used_list)
    assert allowed == ["java"]  # catalog/example/payments.py
    assert 'k8s.ns.name = "payments"' in str(catalog_rules)


def test_the_unexpected_connection_rule_spares_the_cluster_and_the_profiles_networks(catalog_rules):
    rule = next(i for i in catalog_rules if i.get("rule") == "Unexpected outbound connection from payments-api")
    (used_list,) = re.findall(r"not fd\.snet in \((\w+)\)", rule["condition"])
    networks = {n.strip('"') for n in next(i["items"] for i in catalog_rules if i.get("list") == used_list)}
    assert networks == {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.51.100.0/24"}


def test_sysdig_is_the_debian_build_of_the_libraries_the_check_names():
    assert falco_rules.sysdig_version().startswith("sysdig version 0.41.4"), falco_rules.sysdig_version()


def test_every_field_the_catalog_rules_use_is_in_sysdigs_field_list_or_the_container_plugins(catalog_rules):
    fields = set()
    for item in catalog_rules:  # rules and the macros they use
        if "condition" in item:
            fields |= set(falco_rules.OUTPUT_FIELD.findall(item.get("output", "")))
            fields |= set(re.findall(r"\b([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)(?=\s*(?:=|!=|in\b|\[|exists))", item["condition"]))
    listed = tools.run("sysdig", "-l", timeout=60)
    assert listed.ok
    core = {line.split()[0].split("[")[0] for line in listed.stdout.splitlines() if line[:1].isalpha() and "." in line.split()[0]}
    plugin = {line.split("\t")[0] for line in (DATA / "container-plugin-fields.tsv").read_text().splitlines() if line and not line.startswith("#")}
    bases = {f.split("[")[0] for f in fields}
    assert {"proc.name", "fd.snet", "proc.cmdline"} <= bases
    assert bases - core <= plugin, bases - core - plugin
    assert {"k8s.ns.name", "k8s.pod.label"} <= bases & plugin


def test_every_catalog_rule_resolves_and_compiles_in_sysdig(catalog_rules):
    results = dict(falco_rules.rule_problems(catalog_rules))
    assert results == {"Unexpected process in payments-api": [], "Unexpected outbound connection from payments-api": []}


BROKEN = {
    "A macro defined nowhere": ("spawned_process and no_such_macro", "'no_such_macro' is neither a field nor a defined macro"),
    "A field the libraries do not have": ("spawned_process and proc.no_such_field = x", "field proc.no_such_field is in neither"),
    "A list used as a check": ("spawned_process and shell_binaries", "'shell_binaries' is neither a field nor a defined macro"),
    "An operator sysdig does not know": ("spawned_process and proc.name likes x", "expected an operator, found 'likes'"),
    "A value of the wrong type, caught by sysdig's compiler": ("spawned_process and proc.pid = notanumber", "sysdig does not compile"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_rule_is_reported(case):
    condition, expected = BROKEN[case]
    item = {"rule": "broken", "desc": "d", "condition": condition, "output": "x %proc.name", "priority": "WARNING"}
    (name, problems), = falco_rules.rule_problems([item])
    assert any(expected in p for p in problems), problems


# --- 3. Alerts with context, the priority from the threat class -------------------------------------------------


def test_every_event_carries_the_context_an_alert_needs(prod_build):
    append = release_values(prod_build, "falco")["falco"]["append_output"]
    every_syscall = next(e for e in append if e.get("match") == {"source": "syscall"})
    # rule and priority are falcosidekick's own labels; these are the pod, namespace, image, user and command line.
    assert set(every_syscall["extra_fields"][1:]) >= {
        "k8s.pod.name", "k8s.ns.name", "container.image.repository", "container.image.tag", "user.name", "proc.cmdline",
    }
    assert every_syscall["extra_fields"][0] == {"team": "security"}
    classes = {e["match"]["rule"]: dict(kv for f in e["extra_fields"] if isinstance(f, dict) for kv in f.items())
               for e in append if "rule" in e.get("match", {})}
    assert classes["Detect release_agent File Container Escapes"]["threat"] == "container-escape"
    assert classes["Unexpected process in payments-api"] == {
        "threat": "unexpected-process", "alertname": "Unexpected process in payments-api", "team": "payments",
    }
    assert set(classes) == {r.name for r in UPSTREAM_RULES} | {
        "Unexpected process in payments-api", "Unexpected outbound connection from payments-api"}


AMTOOL_CASES = {
    # Alertmanager labels as falcosidekick 2.31.1 sets them (outputs/alertmanager.go): output fields with `.` -> `_`,
    # then source, rule, priority (Falco's) and severity. Expected receivers: the issue's mapping.
    "container escape": ({"threat": "container-escape", "priority": "Notice", "team": "security"}, "security-p0"),
    "crypto mining": ({"threat": "crypto-mining", "priority": "Critical", "team": "security"}, "security-p0"),
    "privilege escalation": ({"threat": "privilege-escalation", "priority": "Notice", "team": "security"}, "security-p1"),
    "sensitive file access": ({"threat": "sensitive-file-access", "priority": "Warning", "team": "security"}, "security-p1"),
    "suspicious network": ({"threat": "suspicious-network", "priority": "Notice", "team": "security"}, "security-p1"),
    "unexpected process (upstream drift rule)": ({"threat": "unexpected-process", "priority": "Critical", "team": "security"}, "security-p1"),
    "a catalog rule, to its team": ({"threat": "unexpected-process", "priority": "Warning", "team": "payments"}, "payments-p1"),
    "no threat class: a ticket": ({"priority": "Critical", "team": "security"}, "security-p3"),
}


@pytest.fixture(scope="module")
def alertmanager_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("am") / "alertmanager.yaml"
    path.write_text(dump(build.stack_artifacts("prod").alertmanager))
    return path


@pytest.mark.parametrize("case", AMTOOL_CASES, ids=list(AMTOOL_CASES))
def test_alertmanager_routes_a_falco_event_by_its_threat_class(case, alertmanager_file):
    labels, receiver = AMTOOL_CASES[case]
    labels = {**labels, "source": "falco", "rule": "r", "eventsource": "syscall", "severity": "warning",
              "k8s_ns_name": "payments", "k8s_pod_name": "payments-api-0", "cluster": "prod"}
    result = tools.run("amtool", "config", "routes", "test", f"--config.file={alertmanager_file}",
                       *(f"{k}={v}" for k, v in labels.items()))
    assert result.ok, result.output
    answer = [line for line in result.output.splitlines() if line and not line.startswith("Warning:")]
    assert answer == [receiver]


# --- 4. Automated response --------------------------------------------------------------------------------------

ISOLATE = ["Label the pod as quarantined", "Deny the workload's egress"]
CAPTURE = ["Capture the pod's system calls"]


@pytest.mark.parametrize("stack,dry_run", [("dev", "true"), ("prod", "false")])
def test_the_response_mapping_names_rule_actions_and_namespace(stack, dry_run):
    """catalog/example/__init__.py: payments isolates and captures on escapes, mining, network threats and its
    service's drift; storefront isolates miners. Dry run in dev, for real in prod."""
    rules = [i for i in build.stack_artifacts(stack).talon_rules if "rule" in i]
    mining = ["Known Cryptominer Process Executed", "Detect crypto miners using the Stratum protocol",
              "Detect outbound connections to common miner pool ports"]
    by_rule = {r["rule"]: r for r in rules}
    assert set(by_rule) == {"contain-payments in payments", "stop-miners in storefront"}
    payments, storefront = by_rule["contain-payments in payments"], by_rule["stop-miners in storefront"]
    assert payments["match"]["output_fields"] == ["k8s.ns.name=payments"]
    assert storefront["match"]["output_fields"] == ["k8s.ns.name=storefront"]
    assert [a["action"] for a in payments["actions"]] == ISOLATE + CAPTURE
    assert [a["action"] for a in storefront["actions"]] == ISOLATE
    assert storefront["match"]["rules"] == mining
    triggers = set(payments["match"]["rules"])
    assert set(mining) <= triggers
    assert {"Detect release_agent File Container Escapes", "Mount Launched in Privileged Container",
            "Reverse Shell from Web Server", "Netcat Remote Code Execution in Container",
            "Unexpected outbound connection from payments-api", "Unexpected process in payments-api"} <= triggers
    assert "Read sensitive file untrusted" not in triggers and "Non sudo setuid" not in triggers
    assert {r["dry_run"] for r in rules} == {dry_run}


def test_talon_loads_the_rules_helm_mounts_and_its_configuration(prod_build):
    findings = list(falco_checks.talon_rules(prod_build))
    assert sorted(f.subject for f in findings) == [
        "ConfigMap falco-talon-rules: rules.yaml", "Secret falco-talon-config: config.yaml", "falco/talon_rules.yaml"]
    assert all(f.ok for f in findings), [f.detail for f in findings]
    mounted = next(o for r in rendered(prod_build) if r.release.chart == "falco-talon" for o in r.objects
                   if o.get("kind") == "ConfigMap" and "rules.yaml" in (o.get("data") or {}))
    ours = yaml.safe_load((prod_build / falco_checks.TALON_RULES).read_text())
    mounted_rules = yaml.safe_load(mounted["data"]["rules.yaml"])
    assert all(item in mounted_rules for item in ours), "the chart mounts the catalog's rules"


TALON_BROKEN = {
    "An action Talon has no actionner for": (
        [{"action": "a", "actionner": "kubernetes:explode"}, {"rule": "r", "match": {"rules": ["Terminal shell in container"]}, "actions": [{"action": "a"}]}],
        "actionner"),
    "A dry run that is not Talon's string": (
        [{"rule": "r", "match": {"rules": ["Terminal shell in container"]}, "dry_run": True, "actions": [{"action": "a", "actionner": "kubernetes:label", "parameters": {"labels": {"a": "b"}}}]}],
        "dry_run"),
    "A capture longer than Talon allows": (
        [{"rule": "r", "match": {"rules": ["Terminal shell in container"]}, "actions": [{"action": "a", "actionner": "kubernetes:sysdig", "parameters": {"duration": 60}}]}],
        "duration"),
    "A named action defined nowhere": (
        [{"rule": "r", "match": {"rules": ["Terminal shell in container"]}, "actions": [{"action": "missing"}]}],
        "action 'missing' is defined nowhere"),
    "A rule Falco does not run": (
        [{"rule": "r", "match": {"rules": ["Nobody runs this"]}, "actions": [{"action": "a", "actionner": "kubernetes:terminate"}]}],
        "Falco does not run the rule 'Nobody runs this'"),
}


@pytest.mark.parametrize("case", TALON_BROKEN, ids=list(TALON_BROKEN))
def test_talon_rules_it_would_refuse_or_never_fire_are_reported(case):
    items, expected = TALON_BROKEN[case]
    problems = falco_checks.talon_problems(items, {"Terminal shell in container"})
    assert any(expected in p for p in problems), problems


def test_isolation_labels_the_pod_the_quarantine_policy_selects_and_denies_everything(prod_build):
    actions = {i["action"]: i for i in yaml.safe_load((prod_build / falco_checks.TALON_RULES).read_text()) if "actionner" in i}
    labels = actions["Label the pod as quarantined"]["parameters"]["labels"]
    assert actions["Deny the workload's egress"]["actionner"] == "kubernetes:networkpolicy"
    assert "parameters" not in actions["Deny the workload's egress"], "no allowed destination: all egress denied"
    policies = sorted((prod_build / "manifests").glob("networkpolicy-*-alerting-platform-quarantine.yaml"))
    assert [p.name.split("-")[1] for p in policies] == ["payments", "storefront"]
    for path in policies:
        spec = yaml.safe_load(path.read_text())["spec"]
        assert spec["podSelector"] == {"matchLabels": labels}
        assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"] and "ingress" not in spec and "egress" not in spec


def test_captures_go_to_the_stacks_bucket_with_keys_from_a_secret(prod_build):
    capture = next(i for i in yaml.safe_load((prod_build / falco_checks.TALON_RULES).read_text()) if i.get("actionner") == "kubernetes:sysdig")
    assert capture["output"] == {"target": "minio:s3", "parameters": {"bucket": "alerting-prod-thanos", "prefix": "alerting-platform-forensics"}}
    env = {e["name"]: e for e in release_values(prod_build, "falco-talon")["extraEnv"]}
    assert env["MINIO_ENDPOINT"]["value"] == "s3.eu-west-1.amazonaws.com:443"
    assert env["MINIO_SECRET_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "falco-talon-forensics", "key": "MINIO_SECRET_KEY"}}


def _catalog_with_response(tmp_path: Path, doc: dict, **runtime_security) -> Path:
    doc["teams"][0]["services"][0]["runtime"] = {"processes": ["nginx"]}
    doc["runtime_security"] = runtime_security
    return write_yaml(tmp_path / "catalog.yaml", doc)


TERMINATE = {"responses": [{"name": "kill-web", "namespaces": ["web"], "rules": ["Unexpected process in web"], "actions": ["terminate"]}]}


def test_terminating_in_production_needs_the_catalogs_consent(tmp_path, small_catalog_doc):
    path = _catalog_with_response(tmp_path, small_catalog_doc, **TERMINATE)
    with pytest.raises(InputError) as exc:
        from_values("prod", stack_values("prod", catalog=path))
    assert f"{path}: runtime_security.responses[0].actions: 'kill-web' terminates pods automatically in a production stack" in str(exc.value)


def test_with_consent_the_release_carries_it_for_the_policy_pack(tmp_path, small_catalog_doc):
    from components.falco import TERMINATION_APPROVED
    from policies.guardrails import runtime

    path = _catalog_with_response(tmp_path, small_catalog_doc, **TERMINATE, terminate_in_production=True)
    inventory, _, _ = build.render_stack("prod", tmp_path / "build", path)
    (talon,) = [r for r in inventory.resources if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("chart") == "falco-talon"]
    assert talon.inputs["description"] == TERMINATION_APPROVED
    rules = yaml.safe_load(talon.inputs["values"]["config"]["rulesOverride"])
    assert list(runtime.terminating_rules(dump(rules))) == ["kill-web in web"]


def test_captures_without_a_forensics_bucket_are_refused(tmp_path, small_catalog_doc):
    capture = {"responses": [{"name": "rec", "namespaces": ["web"], "threats": ["crypto-mining"], "actions": ["capture"]}]}
    path = _catalog_with_response(tmp_path, small_catalog_doc, **capture)
    values = stack_values("dev", catalog=path)
    values["alerting-platform:falco"] = {"driver": "modern_ebpf"}
    with pytest.raises(InputError) as exc:
        from_values("dev", values)
    assert "alerting-platform:falco.response.forensics: required: a runtime response of the catalog captures" in str(exc.value)


def test_a_response_naming_an_unknown_rule_or_namespace_is_refused(tmp_path, small_catalog_doc):
    bad = {"responses": [{"name": "cut-off", "namespaces": ["nowhere"], "rules": ["Shell in contianer"], "actions": ["isolate"]}]}
    path = _catalog_with_response(tmp_path, small_catalog_doc, **bad)
    with pytest.raises(InputError) as exc:
        from_values("dev", stack_values("dev", catalog=path))
    lines = str(exc.value).splitlines()
    assert any("runtime_security.responses[0].namespaces[0]: 'nowhere' is not the namespace of a catalog service" in l for l in lines)
    assert any("runtime_security.responses[0].rules[0]: 'Shell in contianer' is not a rule the platform enables" in l for l in lines)


# --- The documentation states what runs ------------------------------------------------------------------------


def test_the_docs_table_lists_every_rule_with_its_class_and_upstream_maturity():
    text = (PROJECT_DIR / "docs" / "security.md").read_text()
    for rule in UPSTREAM_RULES:
        file, item = upstream_rule(rule.name)
        maturity = next(t for t in item["tags"] if t.startswith("maturity_")).removeprefix("maturity_")
        row = f"| {rule.threat.value} | {rule.name} | {maturity} |"
        assert row in text, row


def test_the_policy_knows_the_terminate_actions_the_vendored_talon_chart_mounts_first():
    from policies.guardrails import runtime

    chart_rules = yaml.safe_load((PROJECT_DIR / "charts" / "falco-talon" / "rules.yaml").read_text())
    assert {i["action"] for i in chart_rules if i.get("actionner") == "kubernetes:terminate"} == runtime.CHART_TERMINATING_ACTIONS
