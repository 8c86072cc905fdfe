"""Offline commands behind `make render`, `make check`, `make plan`, `make policy` and `make schema`."""

from __future__ import annotations

import gc
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from cli.freshness import PROJECT_DIR

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
# Wide when piped (CI logs), so resource names and tool messages are not wrapped mid-word.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

StackOpt = Annotated[str, typer.Option("--stack", "-s", help="dev, prod or any Pulumi.<stack>.yaml")]
CatalogOpt = Annotated[
    Optional[str], typer.Option("--catalog", "-c", help="a catalog YAML file or directory replacing the stack's")
]


def catalog_path(value: Optional[str]) -> Optional[Path]:
    """--catalog as a path; an empty one (`CATALOG=""` in a script) is refused rather than read as `.`."""
    from model.errors import InputError, Problem

    if value is None:
        return None
    if not value.strip():
        raise InputError([Problem("--catalog", "(option)", "empty: a catalog path names a catalog YAML file or a directory of catalog YAML files")])
    return Path(value)
BuildOpt = Annotated[Path, typer.Option("--build-dir", help="where build/<stack>/ goes")]


@contextmanager
def user_errors():
    """Bad input ends the command with its message and exit code 2, never with a traceback."""
    from model.errors import InputError

    try:
        yield
    except InputError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except Exception as exc:
        import pulumi  # only here: a render that changes nothing never loads the SDK

        if not isinstance(exc, pulumi.RunError):
            raise
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


@app.command()
def render(stack: StackOpt, catalog: CatalogOpt = None, build_dir: BuildOpt = PROJECT_DIR / "build") -> None:
    """Write build/<stack>/: Alertmanager config, rule files, manifests and releases."""
    from cli import freshness

    with user_errors():
        catalog = catalog_path(catalog)
        target = build_dir / stack
        if freshness.unchanged(target, freshness.inputs_digest(stack, catalog)):
            out.print(f"{target} is up to date: nothing it is rendered from has changed")
            return
        from cli import build

        # The behaviour tests are written by `check`, the only reader, which generates them from the same source.
        _, target, files = build.render_stack(stack, build_dir, catalog, tests=False)
    out.print(f"wrote {len(files)} files to {target}")


def _check_and_print(target: Path) -> bool:
    """Run every check, printing each one's findings as it completes (in a stable order), then one summary line."""
    from cli import checks

    total = len(checks.CHECKS)

    def done(position: int, outcome) -> None:
        failed = outcome.failed
        status = "[red]FAIL[/red]" if failed else "[green]ok[/green]  "
        for f in outcome.findings:
            mark = "[green]ok[/green]  " if f.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {escape(f.check)}: {escape(f.subject)}")
            if not f.ok and f.detail:
                out.print("      " + escape(f.detail).replace("\n", "\n      "))
        counted = f"{len(outcome.findings) - len(failed)}/{len(outcome.findings)} passed"
        err.print(f"{status} [{position + 1}/{total}] {outcome.name.replace('_', ' ')}: {counted} in {outcome.seconds:.1f} s")

    outcomes = checks.run_checks(target, done)
    findings = [f for o in outcomes for f in o.findings]
    failed = [f for f in findings if not f.ok]
    summary = f"{len(findings) - len(failed)} passed, {len(failed)} failed"
    if failed:
        first = ", ".join(f"{f.check}: {f.subject}" for f in failed[:3]) + (" ..." if len(failed) > 3 else "")
        summary += f" — fix first: {first}"
    out.print(escape(summary))
    return not failed


@app.command()
def check(stack: StackOpt, build_dir: BuildOpt = PROJECT_DIR / "build") -> None:
    """Validate build/<stack>/ with the real tools and schemas, and run its behaviour tests."""
    from cli import build

    with user_errors():
        tests = build.write_tests_for(build_dir / stack)
    err.print(f"wrote {len(tests)} behaviour tests to {build_dir / stack / build.TESTS_DIR}")
    if not _check_and_print(build_dir / stack):
        raise typer.Exit(1)


def resource_tree(inventory) -> Tree:
    """The resources grouped under the component that created them, each component with its count."""
    by_parent: dict[str, list] = {}
    for res in inventory.resources:
        by_parent.setdefault(res.parent, []).append(res)

    def count(urn: str) -> int:
        return sum(1 + count(child.urn) for child in by_parent.get(urn, []))

    def add(node: Tree, urn: str) -> None:
        for res in sorted(by_parent.get(urn, []), key=lambda r: (r.custom, r.type, r.name)):
            if res.custom:
                node.add(f"{escape(res.type)}  [dim]{escape(res.name)}[/dim]")
            else:
                add(node.add(f"[bold]{escape(res.name)}[/bold] ({escape(res.type)}): {count(res.urn)} resources"), res.urn)

    roots = [res.parent for res in inventory.resources if res.parent not in {r.urn for r in inventory.resources}]
    tree = Tree(f"[bold]stack {inventory.stack}[/bold]: {len(inventory.resources)} resources")
    for root in dict.fromkeys(roots):
        add(tree, root)
    return tree


@app.command()
def plan(stack: StackOpt, catalog: CatalogOpt = None, build_dir: BuildOpt = PROJECT_DIR / "build") -> None:
    """Run the real program under the Pulumi SDK's mocks, print its resource tree, then render and check."""
    from cli import build

    with user_errors():
        inventory, target, files, built = build.build_stack(stack, build_dir, catalog_path(catalog))
    out.print(resource_tree(inventory))
    out.print("\n[bold]by type[/bold]")
    for type_, n in sorted(inventory.counts().items()):
        out.print(f"  {n:4d}  {escape(type_)}")
    out.print("\n[bold]stack outputs[/bold]")
    for key, value in inventory.outputs.items():
        shown = "[secret]" if key in inventory.secret_outputs else json.dumps(value, sort_keys=True)
        out.print(f"  {key}: {escape(shown)}")
    _print_secrets(stack, built)
    out.print(
        f"\nNo cluster and no Pulumi engine were involved: __main__.py ran under the Pulumi SDK's mocks "
        f"(pulumi.runtime.set_mocks) with the config of Pulumi.{stack}.yaml, every secret a placeholder."
    )
    out.print(f"Rendered {len(files)} files to {target}; checking them with the real tools:\n")
    if not _check_and_print(target):
        raise typer.Exit(1)


def _print_secrets(stack: str, built) -> None:
    """Every secret the stack needs, by name and what refers to it, and the command for each one not set yet."""
    from cli.recorder import secrets_in_stack_file
    from stacks.config import required_secrets, set_secret_command

    needed = required_secrets(built.settings, built.catalog, built.artifacts)
    held = secrets_in_stack_file(stack)
    missing = [name for name in needed if name not in held]
    out.print(f"\n[bold]secrets[/bold]: Pulumi.{stack}.yaml needs {len(needed)}, {len(needed) - len(missing)} set")
    for name, where in needed.items():
        mark = "set    " if name in held else "not set"
        out.print(f"  {mark}  {escape(name)}  [dim]({escape(where)})[/dim]")
    if missing:
        out.print(f"set each before `pulumi up --stack {stack}` (a value from a file: \"$(cat file)\"):")
        for name in missing:
            out.print(f"  {escape(set_secret_command(name, stack))}")


PackConfigOpt = Annotated[
    Optional[Path], typer.Option("--policy-pack-config", help="JSON of policy name -> enforcement level or settings")
]


@app.command()
def policy(stack: StackOpt, policy_pack_config: PackConfigOpt = None) -> None:
    """Run the CrossGuard pack in policies/ against the program's resources; exit 1 on a mandatory violation."""
    from cli import policy as pack

    with user_errors():
        outcome = pack.run(stack, policy_pack_config)
    if not pack.print_outcome(outcome, out):
        raise typer.Exit(1)


@app.command()
def audit(
    stack: StackOpt,
    since: Annotated[Optional[str], typer.Option("--since", help="first day reported (YYYY-MM-DD); default 90 days ago")] = None,
    alertmanager: Annotated[
        Optional[str], typer.Option("--alertmanager", help="Alertmanager's API, e.g. http://127.0.0.1:9093 through kubectl port-forward")
    ] = None,
    alertmanager_ca: Annotated[
        Optional[Path], typer.Option("--alertmanager-ca", help="the CA Alertmanager's certificate is verified by (prod serves HTTPS)")
    ] = None,
    alertmanager_name: Annotated[
        str, typer.Option("--alertmanager-name", help="the name Alertmanager's certificate is verified for, with --alertmanager-ca")
    ] = "alertmanager.monitoring.svc",
    oncall: Annotated[Optional[str], typer.Option("--oncall", help="OnCall's API, e.g. https://oncall.example.com")] = None,
    oncall_token_file: Annotated[
        Optional[Path], typer.Option("--oncall-token-file", help="a file holding an OnCall API token (else $ONCALL_API_TOKEN)")
    ] = None,
) -> None:
    """Print the compliance report: configuration changes, guardrail exceptions, silences and acknowledgements."""
    import datetime as dt
    import ssl

    from cli import audit as audit_
    from cli import build
    from model.errors import InputError, Problem

    today = dt.datetime.now(dt.UTC).date()
    with user_errors():
        try:
            first = dt.date.fromisoformat(since) if since else today - dt.timedelta(days=90)
        except ValueError:
            raise InputError([Problem("command line", "--since", "must be a date (YYYY-MM-DD)")]) from None
        token = None
        if oncall:
            try:
                token = oncall_token_file.read_text(encoding="utf-8").strip() if oncall_token_file else os.environ.get("ONCALL_API_TOKEN")
            except (OSError, UnicodeDecodeError) as e:
                raise InputError([Problem(str(oncall_token_file), "--oncall-token-file", f"cannot be read: {e.strerror or e}")]) from None
            if not token:
                raise InputError([Problem("command line", "--oncall", "needs a token: --oncall-token-file or $ONCALL_API_TOKEN")])
        org = build.load(stack, None).catalog
        try:
            opener = audit_.verified_opener(str(alertmanager_ca), alertmanager_name) if alertmanager_ca else None
            text = audit_.report(stack, org, today, first, alertmanager, oncall_url=oncall, oncall_token=token,
                                 alertmanager_opener=opener)
        except audit_.AuditError as e:
            raise InputError([Problem("command line", "--oncall", str(e))]) from None
        except (OSError, ssl.SSLError) as e:  # Alertmanager unreachable, or its certificate not verified
            raise InputError([Problem("command line", "--alertmanager", f"cannot be read: {getattr(e, 'reason', e)}")]) from None
        out.print(text, markup=False, end="")


@app.command()
def route(
    labels: Annotated[
        list[str], typer.Argument(help="the alert's labels, e.g. team=payments service=checkout severity=critical")
    ],
    stack: StackOpt,
    catalog: CatalogOpt = None,
    at: Annotated[
        Optional[str],
        typer.Option("--at", help="an ISO-8601 moment with offset (2026-12-07T03:00:00Z): apply time intervals then"),
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option("--config", help="explain this rendered alertmanager.yml instead of the stack's")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only the receivers")] = False,
) -> None:
    """Which receivers an alert reaches, one per line; why, and what could silence it, on stderr.

    Without --at the answer is exactly `amtool config routes test`; with it, muted and held routes send nothing.
    """
    from datetime import datetime

    import yaml

    from cli import build
    from model.errors import InputError, Problem
    from routing.explain import explain, parse_labels

    with user_errors():
        try:
            alert = parse_labels(labels)
        except ValueError as exc:
            raise InputError([Problem("LABELS", "(argument)", str(exc))]) from None
        moment = None
        if at is not None:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                message = f"{at!r} is not an ISO-8601 moment with an offset, e.g. 2026-12-07T03:00:00Z"
                raise InputError([Problem("AT", "(argument)", message)])
        if config is not None:
            if not config.is_file():
                raise InputError([Problem(str(config), "(file)", "no such file")])
            document = yaml.safe_load(config.read_text())
        else:
            document = build.stack_artifacts(stack, catalog_path(catalog)).alertmanager
    explanation = explain(document, alert, moment)
    for receiver in explanation.receivers:
        typer.echo(receiver)
    if not quiet:
        for line in explanation.lines():
            err.print(escape(line))


@app.command()
def schema(output: Annotated[Path, typer.Option("--output", "-o")] = PROJECT_DIR / "schema" / "catalog.schema.json") -> None:
    """Write the catalog's JSON Schema, for completion and validation in editors."""
    from model.catalog import Organisation

    document = Organisation.model_json_schema(mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["$id"] = "https://alerting-platform.example.com/schema/catalog.schema.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    out.print(f"wrote {output}")


if __name__ == "__main__":
    # Each command is one batch that ends when its work does. A large render holds millions of objects that live
    # until then (the catalog's models, every rule, the SDK's outputs); the cycle collector walked them again and
    # again, a sixth of the render's time, and freed nothing (the peak memory is the same without it).
    gc.disable()
    sys.exit(app())
