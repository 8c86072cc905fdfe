"""The rule every catalog must follow: refused cleanly, or rendered into files every real tool accepts.

Refused cleanly means an InputError (or the engine's RunError carrying one) whose every line is
`<the catalog file>: <a field of it>: <message>`. Rendered means `cli.build.render_stack` ran the real program under
the Pulumi mocks and wrote build/<stack>/, and every check of `make check` (cli/checks.py: amtool, promtool,
vmalert, the schemas, the behaviour tests) passed on it. Anything else is a failure: a traceback, a hang past the
deadline, a refusal that does not say where, or a rendered file a tool rejects.
"""

from __future__ import annotations

import re
import signal
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_MARKERS = re.compile(r"^\((top level|file|directory)\)$|^line \d+(, column \d+)?$")
_FIELD = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*(\[\d+\]|\.[A-Za-z0-9_][A-Za-z0-9_-]*|\["(?:[^"\\]|\\.)*"\])*$')


@dataclass(frozen=True)
class Verdict:
    outcome: str
    """`refused`, `rendered` or `failure`."""
    detail: str = ""


class Hang(Exception):
    pass


@contextmanager
def deadline(seconds: float):
    """Interrupt the case after `seconds` of wall time (main thread only, as pytest and the fuzz script run it)."""

    def expire(signum, frame):
        raise Hang(f"still running after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _sources(catalog: Path) -> set[str]:
    """What a problem line may name as its file: the catalog given, or a YAML file inside the given directory."""
    names = {str(catalog), str(catalog.absolute())}
    try:
        names.add(str(catalog.resolve()))
    except (OSError, RuntimeError):
        pass
    return names


def _names_file_and_field(line: str, catalog: Path) -> bool:
    for source in sorted(_sources(catalog), key=len, reverse=True):
        for candidate in (source, *(f"{source}/{p.name}" for p in _safe_listing(catalog))):
            prefix = candidate + ": "
            if line.startswith(prefix) or re.match(re.escape(candidate) + r":\d+: ", line):
                rest = line[len(prefix):] if line.startswith(prefix) else line.split(": ", 1)[1]
                where = rest.split(": ", 1)[0]
                if _MARKERS.match(where):
                    return True
                # An unknown key is named as the field it is; a made-up location ("rules/x.yaml") is not a field.
                return bool(_FIELD.match(where)) and ": " in rest
    return False


def _safe_listing(catalog: Path) -> list[Path]:
    try:
        return sorted(catalog.iterdir()) if catalog.is_dir() else []
    except OSError:
        return []


_schema_verdicts: dict[str, list[str]] = {}


def _memoise_object_validation() -> None:
    """Kubernetes schema verdicts by object content: most cases change one file, and the schema check is pure."""
    import json

    from cli import checks

    if getattr(checks.validate_object, "memoised", False):
        return
    validate = checks.validate_object

    def memoised(obj: dict, *args: object) -> list[str]:
        if args:  # against a build's own CRDs and Kubernetes version (cli.checks.validate_objects_kept keeps those)
            return validate(obj, *args)
        key = json.dumps(obj, sort_keys=True, default=str)
        if key not in _schema_verdicts:
            _schema_verdicts[key] = validate(obj)
        return list(_schema_verdicts[key])

    memoised.memoised = True  # type: ignore[attr-defined]
    checks.validate_object = memoised


def judge(catalog: Path, work: Path, seconds: float = 60, stack: str = "dev") -> Verdict:
    """Run one catalog through the program, the renderer and the real-tool checks."""
    import pulumi

    from cli import build, checks
    from model.errors import InputError

    _memoise_object_validation()
    try:
        # The deadline covers the program and the renderer, where a hang would be ours; each tool run below has
        # its own timeout (cli/tools.py), and a tool that runs out of it is a failure too.
        with deadline(seconds):
            try:
                _, target, _ = build.render_stack(stack, work / "build", catalog)
            except InputError as exc:
                lines = [str(p) for p in exc.problems]
            except pulumi.RunError as exc:
                lines = str(exc).splitlines()
            else:
                lines = None
        if lines is not None:
            unclear = [line for line in lines if not _names_file_and_field(line, catalog)]
            if not lines or unclear:
                return Verdict("failure", "refused without naming the file and field:\n" + "\n".join(unclear or ["(no lines)"]))
            return Verdict("refused", "\n".join(lines))
        findings = checks.run_all(target)
    except Hang as exc:
        return Verdict("failure", f"hang: {exc}")
    except Exception:  # noqa: BLE001 - a traceback is exactly what this oracle looks for
        return Verdict("failure", "traceback:\n" + traceback.format_exc(limit=-8))
    failed = [f for f in findings if not f.ok]
    if failed:
        return Verdict("failure", "rendered, then rejected:\n" + "\n".join(f"{f.check}: {f.subject}: {f.detail[:500]}" for f in failed))
    return Verdict("rendered", f"{len(findings)} checks passed")
