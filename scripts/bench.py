"""`make bench`: render and check a synthetic organisation of 200 teams, 2,000 services and 6,000 SLOs.

Prints the time of each phase and what came out. A benchmark, not a test: it asserts nothing about speed; the
target is to render within 5 s on a 2-core machine. Options: --teams, --services-per-team, --slos-per-service,
--sample (behaviour-test files run with both tools), --keep (keep the build directory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli import checks, engine, tools  # noqa: E402
from model.catalog import Organisation  # noqa: E402
from render import render  # noqa: E402
from stacks.config import decode, parse_settings  # noqa: E402

TIMES: list[tuple[str, float, str]] = []


@contextmanager
def phase(name: str):
    start = time.perf_counter()
    note: list[str] = []
    yield note
    TIMES.append((name, time.perf_counter() - start, note[0] if note else ""))
    print(f"  {name:<40} {TIMES[-1][1]:8.2f} s  {TIMES[-1][2]}", flush=True)


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

    print(f"synthetic organisation: {args.teams} teams, {args.teams * args.services_per_team} services, "
          f"{args.teams * args.services_per_team * args.slos_per_service} SLOs; {os.cpu_count()} cores\n")
    config, _, _ = engine.stack_config("dev", {})
    settings = parse_settings({k: decode(v) for k, v in config.items()}, "Pulumi.dev.yaml")

    with phase("catalog: build the document") as note:
        doc = organisation(args.teams, args.services_per_team, args.slos_per_service)
    with phase("catalog: validate (pydantic, cross-checks)") as note:
        org = Organisation.model_validate(doc)
        note.append(f"{sum(len(s.slos) for _, s in org.services())} SLOs, {sum(len(s.budgets) for _, s in org.services())} budgets")
    with phase("render: rules, CRs, routing (the 5 s target)") as note:
        artifacts = render(org, settings)
        rules = sum(len(g["rules"]) for f in artifacts.rule_files.values() for g in f["groups"])
        note.append(f"{rules} rules in {len(artifacts.rule_files)} files, "
                    f"{len(artifacts.sloth_slos) + len(artifacts.pyrra_slos)} Sloth/Pyrra objects")
    with phase("render: behaviour tests (only for make check)") as note:
        note.append(f"{len(artifacts.rule_tests)} test files")
    out = Path(tempfile.mkdtemp(prefix="alerting-bench-"))
    with phase("write: YAML files") as note:
        files = artifacts.files()
        for rel, text in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        note.append(f"{len(files)} files, {sum(map(len, files.values())) / 1e6:.1f} MB")
    rule_files = sorted((out / "rules").glob("*.yaml"))
    with phase("check: promtool check rules") as note:
        result = tools.run("promtool", "check", "rules", *map(str, rule_files), timeout=3600)
        note.append("ok" if result.ok else "FAILED: " + result.output[-500:])
    with phase("check: vmalert -dryRun") as note:
        result = tools.run("vmalert", "-dryRun", "-loggerLevel=ERROR", f"-rule={out / 'rules'}/*.yaml", timeout=3600)
        note.append("ok" if result.ok else "FAILED: " + result.output[-500:])
    with phase("check: Sloth and Pyrra objects against CRDs") as note:
        bad = [o["metadata"]["name"] for o in (*artifacts.sloth_slos, *artifacts.pyrra_slos) if checks.validate_object(o)]
        note.append(f"{len(artifacts.sloth_slos) + len(artifacts.pyrra_slos)} objects, {len(bad)} invalid")
    sample = sorted((out / "rule-tests").glob("*.yaml"))[:: max(1, len(list((out / "rule-tests").glob("*.yaml"))) // max(1, args.sample))][: args.sample]
    sampled = out / "sample"
    (sampled / "rule-tests").mkdir(parents=True)
    shutil.copytree(out / "rules", sampled / "rules")
    for f in sample:
        shutil.copy(f, sampled / "rule-tests" / f.name)
    for name, fn in (("promtool test rules", checks.promtool_test_rules), ("vmalert-tool unittest", checks.vmalert_tool_unittest)):
        with phase(f"check: {name} ({len(sample)} sampled files)") as note:
            findings = list(fn(sampled))
            note.append(f"{sum(f.ok for f in findings)} passed, {sum(not f.ok for f in findings)} failed")
    if args.keep:
        print(f"\nbuild kept in {out}")
    else:
        shutil.rmtree(out)
    total = sum(t for _, t, _ in TIMES)
    render_time = next(t for n, t, _ in TIMES if n.startswith("render: rules"))
    print(f"\n{'total':<42} {total:8.2f} s")
    print(f"render {render_time:.2f} s against a 5 s target on 2 cores; {rules} rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
