"""A real Alertmanager cluster on 127.0.0.1: n replicas of Debian's prometheus-alertmanager gossiping with each
other, every one with the same rendered configuration, the way the chart runs them."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli import tools
from tests.e2e.sinks import free_port

# Debian's build reads its default notification templates from this fixed directory. `make setup` extracts the
# package without installing it, so the replicas run in a private mount namespace where the extracted /usr/share
# lies over the real one: nothing outside the test process sees the overlay.
DEFAULT_TEMPLATES = Path("/usr/share/prometheus/alertmanager/default.tmpl")


def _command(args: list[str]) -> list[str]:
    binary = str(tools.path("prometheus-alertmanager"))
    if DEFAULT_TEMPLATES.exists():
        return [binary, *args]
    share = tools.TOOLS_DIR / "root" / "usr" / "share"
    script = f'mount -t overlay overlay -o lowerdir={share}:/usr/share /usr/share && exec "$0" "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, binary, *args]


def can_run() -> str | None:
    """Why the cluster cannot run here, or None."""
    if not DEFAULT_TEMPLATES.exists() and os.geteuid() != 0:
        return f"needs root for a private mount namespace: {DEFAULT_TEMPLATES} is not installed"
    return None


class Cluster:
    def __init__(
        self, config_file: Path, data_dir: Path, replicas: int = 3, peer_timeout: str = "2s", extra_args: tuple[str, ...] = (),
        replica_args: dict[int, tuple[str, ...]] | None = None,
    ) -> None:
        self.config_file = config_file
        self.data_dir = data_dir
        self.http_ports = [free_port() for _ in range(replicas)]
        self.cluster_ports = [free_port() for _ in range(replicas)]
        self.peer_timeout = peer_timeout
        self.extra_args = extra_args
        self.replica_args = replica_args or {}
        """Arguments of one replica only, after `extra_args` (the last of a repeated flag wins)."""
        self.processes: list[subprocess.Popen | None] = []
        self.logs: list[Path] = []

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.http_ports[i]}"

    def live(self) -> list[int]:
        return [i for i, p in enumerate(self.processes) if p is not None and p.poll() is None]

    def storage(self, i: int) -> Path:
        """Replica i's --storage.path: it outlives the process, as the chart's PersistentVolumeClaim does."""
        return self.data_dir / f"replica-{i}"

    def _start(self, i: int) -> subprocess.Popen:
        http, gossip = self.http_ports[i], self.cluster_ports[i]
        peers = [f"--cluster.peer=127.0.0.1:{p}" for p in self.cluster_ports if p != gossip]
        args = [
            f"--config.file={self.config_file}",
            f"--storage.path={self.storage(i)}",
            f"--web.listen-address=127.0.0.1:{http}",
            f"--cluster.listen-address=127.0.0.1:{gossip}",
            f"--cluster.advertise-address=127.0.0.1:{gossip}",
            *peers,
            f"--cluster.peer-timeout={self.peer_timeout}",
            "--cluster.gossip-interval=50ms",
            "--cluster.pushpull-interval=2s",
            "--cluster.settle-timeout=10s",
            "--log.level=debug",
            *self.extra_args,
            *self.replica_args.get(i, ()),
        ]
        log = self.data_dir / f"replica-{i}.log"
        if log not in self.logs:
            self.logs.append(log)
        with log.open("a") as out:
            return subprocess.Popen(_command(args), stdout=out, stderr=subprocess.STDOUT)

    def __enter__(self) -> Cluster:
        for i in range(len(self.http_ports)):
            self.processes.append(self._start(i))
        try:
            self.wait_until_clustered()
        except Exception:
            self.__exit__()
            raise
        return self

    def restart(self, i: int) -> None:
        """Start replica i again on its ports and storage, after it died or was stopped."""
        process = self.processes[i]
        assert process is None or process.poll() is not None, f"replica {i} is still running"
        self.processes[i] = self._start(i)

    def signal(self, i: int, sig: int) -> None:
        process = self.processes[i]
        assert process is not None and process.poll() is None
        # In the overlay case the process is `unshare`, which execs sh, which execs Alertmanager: one pid.
        os.kill(process.pid, sig)

    def wait_until_clustered(self, timeout: float = 60) -> None:
        """Every replica ready and seeing all its peers."""
        deadline = time.monotonic() + timeout
        want = len(self.processes)
        while time.monotonic() < deadline:
            states = []
            for i in self.live():
                try:
                    status = self._get(i, "/api/v2/status")
                    states.append(len(status["cluster"].get("peers") or []) == want and status["cluster"]["status"] == "ready")
                except (urllib.error.URLError, OSError, KeyError, ValueError):
                    states.append(False)
            if len(states) == want and all(states):
                return
            if len(self.live()) < want and not any(p is None for p in self.processes):
                raise RuntimeError("a replica exited:\n" + self.tail())
            time.sleep(0.2)
        raise TimeoutError("the cluster did not form:\n" + self.tail())

    def _get(self, i: int, path: str) -> dict:
        with urllib.request.urlopen(self.url(i) + path, timeout=5) as response:
            return json.load(response)

    def post(self, alerts: list[dict], replicas: list[int] | None = None) -> None:
        """Send the alerts to every live replica, as vmalert does: each replica must know every alert."""
        now = datetime.now(UTC)
        body = json.dumps(
            [{"labels": a["labels"], "annotations": a.get("annotations", {}), "startsAt": now.isoformat(),
              "endsAt": (now + timedelta(minutes=15)).isoformat()} for a in alerts]
        ).encode()
        for i in self.live() if replicas is None else replicas:
            request = urllib.request.Request(
                self.url(i) + "/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200, response.read()

    def kill(self, i: int) -> None:
        process = self.processes[i]
        assert process is not None
        process.kill()
        process.wait(timeout=10)

    def log_lines(self, *needles: str) -> str:
        """The replicas' log lines that contain every needle, prefixed with the replica."""
        out = []
        for i, log in enumerate(self.logs):
            for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
                if all(n in line for n in needles):
                    out.append(f"replica-{i}: {line}")
        return "\n".join(out)

    def tail(self, lines: int = 15) -> str:
        out = []
        for log in self.logs:
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            out.append(f"--- {log.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is not None:
                try:
                    # A graceful leave waits for the peers' acknowledgements; the test's state is throwaway.
                    process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
