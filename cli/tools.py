"""The real tools that read our artifacts, as extracted by `make setup` into `.tools/`."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stacks import PROJECT_DIR

TOOLS_DIR = Path(os.environ.get("ALERTING_TOOLS_DIR", PROJECT_DIR / ".tools"))


class ToolMissing(Exception):
    pass


def path(name: str) -> Path:
    """Where a tool lives; a clear error when `make setup` has not run."""
    exe = TOOLS_DIR / "bin" / name
    if not exe.exists():
        raise ToolMissing(f"{exe} is missing: run `make setup` first")
    return exe


@dataclass(frozen=True)
class Result:
    code: int
    output: str
    """stdout and stderr together: the tool's own message on failure."""
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0


def run(
    name: str, *args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
) -> Result:
    """Run a tool and keep its combined output: on failure we show the tool's own message.

    `env` adds variables to the inherited environment (for configs that refer to them, as in a pod).
    """
    proc = subprocess.run(
        [str(path(name)), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    return Result(proc.returncode, (proc.stdout + proc.stderr).strip(), proc.stdout)
