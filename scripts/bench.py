"""`make bench`: render and check a synthetic organisation of 200 teams, 2,000 services and 6,000 SLOs.

Prints each phase as it runs, with its time and, where the project sets one, its ratio to the target:
`make render` of the organisation (the program under the Pulumi SDK's mocks, every file written) within 5 s, a
second `make render` with nothing changed within 1 s, one with one SLO changed within 1 s, peak memory
under 2 GiB, and `make plan STACK=prod` (program, render, every check) within 10 s, first with no behaviour-test
verdicts kept and then with them. Exits 1 when a check fails or a target is missed, naming each. Options: --teams,
--services-per-team, --slos-per-service, --sample (behaviour-test files run with both tools), --keep.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import behaviour  # noqa: E402
from cli import checks, recorder, tools  # noqa: E402
from model.catalog import Organisation  # noqa: E402
from render import render  # noqa: E402
from stacks.config import decode, parse_settings  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGETS = {"render": 5.0, "render, nothing changed": 1.0, "render, one SLO changed": 1.0, "plan": 10.0}
MEMORY_TARGET_MIB = 2048
TIMES: list[tuple[str, float, str]] = []
FAILED: list[str] = []


@contextmanager
def phase(name: str, target: float | None = None):
    if sys.stdout.isatty():  # what is running now, overwritten by its figures when it ends
        print(f"  {name:<44} ...", end="\r", flush=True)
    start = time.perf_counter()
    note: list[str] = []
    yield note
    seconds = time.perf_counter() - start
    TIMES.append((name, seconds, note[0] if note else ""))
    against = ""
    if target is not None:
        against = f"  {seconds / target:5.1f}x of the {target:g} s target"
        if seconds > target:
            FAILED.append(f"{name}: {seconds:.2f} s, target {target:g} s")
    print(f"  {name:<44} {seconds:8.2f} s{against}  {TIMES[-1][2]}", flush=True)


def make_render(catalog: Path, build_dir: Path) -> tuple[str, int]:
    """`make render STACK=dev CATALOG=...` as a user runs it: its last line and its peak memory in MiB."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "render", "--stack", "dev", "--catalog", str(catalog), "--build-dir", str(build_dir)],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        FAILED.append(f"make render exited {proc.returncode}: {output.strip().splitlines()[-1:]}")
    return (output.strip().splitlines() or [""])[-1], usage.ru_maxrss // 1024


def make_plan(build_dir: Path) -> str:
    """`make plan STACK=prod` as a user runs it (the example catalog): its summary line."""
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "plan", "--stack", "prod", "--build-dir", str(build_dir)],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )
    if proc.returncode:
        FAILED.append(f"make plan STACK=prod exited {proc.returncode}: {proc.stdout.strip().splitlines()[-1:]}")
    return (proc.stdout.strip().splitlines() or [""])[-1]


def check(name: str, ok: bool, detail: str) -> str:
    if not ok:
        FAILED.append(f"{name}: {detail}")
    return detail


def _slos(service: str, i: int) -> list[dict]:
    """Three SLOs per service, mixing SLI kinds, periods, profiles and engines the way a real catalog would."""
    kinds = [
        {"name": "availability", "objective": 99.9, "period": "30d",
         "sli": {"kind": "ratio", "total": "http_requests_total", "errors": 'http_requests_total{code=~"5.."}'}},
        {"name": "latency", "objective": 95, "period": "7d",
         "sli": {"kind": "latency", "histogram": "http_request_duration_seconds", "under": "500ms"},
         "alerting": {"min_events": 100}},
    ]
    third = [
        {"name": "freshness", "objective": 95, "period": "1d", "alerting": {"profile": "fast"},
         "sli": {"kind": "freshness", "histogram": "records_lag_seconds", "within": "1h"}},
        {"name": "uptime", "objective": 99.5, "period": "28d", "alerting": {"engine": "pyrra"},
         "sli": {"kind": "ratio", "total": "jobs_total", "good": 'jobs_total{result="ok"}'}},
        {"name": "probe", "objective": 99.9, "period": "30d", "alerting": {"engine": "sloth"},
         "sli": {"kind": "raw", "error_ratio_query": f'1 - avg(avg_over_time(probe_success{{service="{service}"}}[{{{{.window}}}}]))',
                 "fixture": {"gauge": f'probe_success{{service="{service}"}}'}}},
        {"name": "success", "objective": 99, "period": "90d", "alerting": {"profile": "pyrra"},
         "sli": {"kind": "ratio", "total": "orders_total", "good": "orders_placed_total"}},
    ][i % 4]
    return kinds + [third]


def organisation(teams: int, services: int, slos: int) -> dict:
    """The synthetic catalog as a document, the way a YAML catalog would hold it."""
    team_docs = []
    for t in range(teams):
        name = f"team-{t:03d}"
        svcs = []
        for s in range(services):
            svc = f"{name}-svc-{s:02d}"
            doc = {
                "name": svc, "tier": ["critical", "high", "medium", "low"][s % 4],
                "impact": {"revenue_affecting": s % 4 == 0, "user_facing": s % 2 == 0, "affected_users": 1000 * s},
                "runbook_url": f"https://runbooks.example.com/{svc}", "dashboard_url": f"https://grafana.example.com/d/{svc}",
                "namespace": name, "slos": _slos(svc, s)[:slos],
            }
            if s % 10 == 0:
                doc["budgets"] = [{"kind": "backend", "name": "api", "api_p99": "1s", "error_rate": 0.01,
                                   "throughput": {"min_of_baseline": 0.7}}]
            svcs.append(doc)
        team_docs.append({
            "name": name, "display_name": f"Team {t}",
            "slack": {"alerts": {"channel": f"#{name}-alerts"}, "incidents": {"channel": f"#{name}-incidents"}},
            "oncall": {"rotation": [f"{name}@example.com"]},
            "business_hours": {"timezone": "UTC"},
            "escalation": {"steps": [{"notify": "primary-oncall"}]},
            "services": svcs,
        })
    return {
        "name": "bench", "platform_team": "team-000", "security_team": "team-001",
        "slack": {"bot_token": {"secret": "slack-bot-token"}},
        "slo_defaults": {"profiles": {"fast": {"tiers": [
            {"severity": "page", "factor": 10, "long": "1h"}, {"severity": "page", "factor": 5, "long": "3h"},
            {"severity": "ticket", "factor": 2, "long": "6h"}]}}},
        "teams": team_docs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--services-per-team", type=int, default=10)
    parser.add_argument("--slos-per-service", type=int, default=3)
    parser.add_argument("--sample", type=int, default=12, help="behaviour-test files to run with both tools")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    gc.disable()  # as the offline commands run (cli/__main__.py), so the in-process phases time what they time

    print(f"synthetic organisation: {args.teams} teams, {args.teams * args.services_per_team} services, "
          f"{args.teams * args.services_per_team * args.slos_per_service} SLOs; {os.cpu_count()} cores\n")
    config, _, _ = recorder.stack_config("dev", {})
    settings = parse_settings({k: decode(v) for k, v in config.items()}, "Pulumi.dev.yaml")
    work = Path(tempfile.mkdtemp(prefix="alerting-bench-"))
    catalog, build_dir = work / "catalog.yaml", work / "build"
    peak = 0

    with phase("catalog: build and write the YAML") as note:
        doc = organisation(args.teams, args.services_per_team, args.slos_per_service)
        catalog.write_text(yaml.safe_dump(doc, sort_keys=False))
        note.append(f"{catalog.stat().st_size / 1e6:.1f} MB")
    with phase("make render (program under mocks, files written)", TARGETS["render"]) as note:
        line, mib = make_render(catalog, build_dir)
        peak = max(peak, mib)
        note.append(f"{line}; peak {mib} MiB")
    with phase("make render, nothing changed", TARGETS["render, nothing changed"]) as note:
        line, mib = make_render(catalog, build_dir)
        note.append(line)
    first = doc["teams"][0]["services"][0]["slos"][0]
    first["objective"] = 99.5 if first["objective"] != 99.5 else 99.9
    catalog.write_text(yaml.safe_dump(doc, sort_keys=False))
    before = {p: p.stat().st_mtime_ns for p in (build_dir / "dev").rglob("*.yaml")}
    with phase("make render, one SLO changed", TARGETS["render, one SLO changed"]) as note:
        line, mib = make_render(catalog, build_dir)
        peak = max(peak, mib)
        changed = sum(1 for p, m in before.items() if p.exists() and p.stat().st_mtime_ns != m)
        note.append(f"{changed} of {len(before)} files rewritten")

    # The main job on the example stack: the program, its render and every check with the real tools. The second run
    # finds the behaviour-test verdicts of unchanged rules beside its build; Helm's output is kept in the project's
    # build/.cache (cli/helm.template), so the first run renders the charts only if no plan ever did.
    for label in ("make plan STACK=prod (no verdicts kept yet)", "make plan STACK=prod again (verdicts kept)"):
        with phase(label, TARGETS["plan"]) as note:
            note.append(make_plan(work / "plan"))

    # The phases of a render, in this process, to show where the time goes.
    with phase("catalog: validate (pydantic, cross-checks)") as note:
        org = Organisation.model_validate(doc)
        note.append(f"{sum(len(s.slos) for _, s in org.services())} SLOs, {sum(len(s.budgets) for _, s in org.services())} budgets")
    with phase("render: rules, CRs, routing") as note:
        artifacts = render(org, settings)
        rules = sum(len(g["rules"]) for f in artifacts.rule_files.values() for g in f["groups"])
        note.append(f"{rules} rules in {len(artifacts.rule_files)} files, "
                    f"{len(artifacts.sloth_slos) + len(artifacts.pyrra_slos)} Sloth/Pyrra objects")
    out = build_dir / "dev"
    with phase("behaviour tests: generate and write (make check)") as note:
        tests = behaviour.test_files(org, settings, artifacts.rule_files)
        for rel, text in tests.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text(text)
        note.append(f"{len(tests)} files")
    rule_files = sorted((out / "rules").glob("*.yaml"))
    with phase("check: promtool check rules") as note:
        result = tools.run("promtool", "check", "rules", *map(str, rule_files), timeout=3600)
        note.append(check("promtool check rules", result.ok, "ok" if result.ok else result.output[-500:]))
    with phase("check: vmalert -dryRun") as note:
        result = tools.run("vmalert", "-dryRun", "-loggerLevel=ERROR", f"-rule={out / 'rules'}/*.yaml", timeout=3600)
        note.append(check("vmalert -dryRun", result.ok, "ok" if result.ok else result.output[-500:]))
    with phase("check: Sloth and Pyrra objects against CRDs") as note:
        objects = (*artifacts.sloth_slos, *artifacts.pyrra_slos)
        bad = [o["metadata"]["name"] for o in objects if checks.validate_object(o)]
        note.append(check("Sloth and Pyrra objects", not bad, f"{len(objects)} objects, {len(bad)} invalid {bad[:3]}"))
    every = sorted((out / "rule-tests").glob("*.yaml"))
    sample = every[:: max(1, len(every) // max(1, args.sample))][: args.sample]
    sampled = work / "sample"
    (sampled / "rule-tests").mkdir(parents=True)
    shutil.copytree(out / "rules", sampled / "rules")
    for f in sample:
        shutil.copy(f, sampled / "rule-tests" / f.name)
    for name, fn in (("promtool test rules", checks.promtool_test_rules), ("vmalert-tool unittest", checks.vmalert_tool_unittest)):
        with phase(f"check: {name} ({len(sample)} sampled files)") as note:
            findings = list(fn(sampled))
            failed = [f.subject for f in findings if not f.ok]
            note.append(check(name, not failed, f"{len(findings) - len(failed)} passed, {len(failed)} failed {failed[:3]}"))
    if args.keep:
        print(f"\nbuild kept in {work}")
    else:
        shutil.rmtree(work)
    if peak > MEMORY_TARGET_MIB:
        FAILED.append(f"peak memory of make render: {peak} MiB, target {MEMORY_TARGET_MIB} MiB")
    total = sum(t for _, t, _ in TIMES)
    print(f"\n{'total':<46} {total:8.2f} s; peak memory of make render {peak} MiB (target {MEMORY_TARGET_MIB} MiB)")
    if FAILED:
        print(f"{len(FAILED)} failed or missed: " + "; ".join(FAILED))
        return 1
    print("every check passed and every target was met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
