"""Backups: the dump the CronJob takes restores into a real PostgreSQL on 127.0.0.1 and reads back the same.

The dump command and its libpq settings are read from the `backup-oncall` CronJob the dev stack registers (the
real program under the Pulumi mocks); only the server address, the password and the dump directory are the test's.
The restore is the documented one (docs/operations.md, render.systems.backup.restore_command). The upload in between is
rclone's copy to the bucket and back, which needs the object store and is not run here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from render.systems.backup import DUMP_DIR, ObjstoreError, rclone_config, restore_command
from tests.e2e.sinks import free_port

pytestmark = pytest.mark.e2e

NOBODY = 65534  # PostgreSQL refuses to run as root


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server binaries: `.tools/postgresql/bin` (make setup) or the system's newest."""
    from cli import tools

    own = tools.TOOLS_DIR / "postgresql" / "bin"
    if (own / "initdb").exists():
        return own
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return installed[-1].parent if installed else None


def _as_nobody(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, user=NOBODY, group=NOBODY, extra_groups=[], capture_output=True, text=True,
                          timeout=120, check=False, **kw)


@pytest.fixture(scope="module")
def server():
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server: Debian's postgresql package (make setup)")
    if os.geteuid() != 0:
        pytest.skip("runs the server as nobody, which needs root")
    root = Path(tempfile.mkdtemp(prefix="pg-restore-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "run"
    for d in (data, sockets):
        d.mkdir()
        os.chown(d, NOBODY, NOBODY)
    port = free_port()
    result = _as_nobody([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--locale=C"])
    assert result.returncode == 0, result.stdout + result.stderr
    log = root / "server.log"
    log.touch()
    os.chown(log, NOBODY, NOBODY)
    result = _as_nobody([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start",
                         "-o", f"-h 127.0.0.1 -p {port} -k {sockets}"])
    assert result.returncode == 0, result.stdout + result.stderr + log.read_text()
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres"}
    try:
        yield {"bin": bin_dir, "env": env, "root": root}
    finally:
        _as_nobody([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def psql(server, sql: str, database: str = "postgres", **env) -> str:
    result = subprocess.run([str(server["bin"] / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                             "-d", database, "-c", sql], env={**server["env"], **env}, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


ONCALL_LIKE = """
CREATE TABLE alert_group (id bigserial PRIMARY KEY, public_primary_key varchar(20) UNIQUE NOT NULL,
  started_at timestamptz NOT NULL, resolved boolean NOT NULL DEFAULT false, raw jsonb, note text);
CREATE TABLE escalation_step (id serial PRIMARY KEY, alert_group_id bigint REFERENCES alert_group(id) ON DELETE CASCADE,
  step smallint NOT NULL, payload bytea);
CREATE INDEX alert_group_started ON alert_group (started_at);
INSERT INTO alert_group (public_primary_key, started_at, resolved, raw, note)
  SELECT 'I' || lpad(g::text, 6, '0'), timestamptz '2026-11-01 00:00+00' + g * interval '7 minutes', g % 3 = 0,
         jsonb_build_object('labels', jsonb_build_object('alertname', 'Alert' || g, 'team', 'payments')),
         CASE WHEN g % 50 = 0 THEN 'Ünïcödé, "quotes", tabs	and newlines
' ELSE NULL END
  FROM generate_series(1, 2000) g;
INSERT INTO escalation_step (alert_group_id, step, payload)
  SELECT id, s, decode(md5(id::text || s::text), 'hex') FROM alert_group, generate_series(1, 3) s;
"""
READ_BACK = {
    "groups": "SELECT count(*), sum(id), string_agg(public_primary_key, ',' ORDER BY id) FROM alert_group",
    "content": "SELECT md5(string_agg(row_to_json(a)::text, '|' ORDER BY id)) FROM alert_group a",
    "steps": "SELECT md5(string_agg(alert_group_id || ':' || step || ':' || encode(payload, 'hex'), '|' "
             "ORDER BY alert_group_id, step)) FROM escalation_step",
    "sequence": "SELECT last_value, is_called FROM alert_group_id_seq",
    "index": "SELECT indexdef FROM pg_indexes WHERE indexname = 'alert_group_started'",
}


def backup_job(stack: str = "dev") -> dict:
    """The `backup-oncall` CronJob as the program registers it."""
    from cli import recorder

    inventory = recorder.run(stack)
    jobs = [r.inputs for r in inventory.of_type("kubernetes:batch/v1:CronJob")
            if r.inputs["metadata"]["name"] == "backup-oncall"]
    assert len(jobs) == 1
    return jobs[0]


def test_the_cron_jobs_dump_restores_into_a_fresh_database_and_reads_back_the_same(server, tmp_path):
    psql(server, "CREATE ROLE oncall LOGIN PASSWORD 'e2e-oncall'")
    psql(server, "CREATE DATABASE oncall OWNER oncall")
    psql(server, ONCALL_LIKE, "oncall", PGUSER="oncall", PGPASSWORD="e2e-oncall")
    before = {name: psql(server, sql, "oncall") for name, sql in READ_BACK.items()}

    job = backup_job()
    dump = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"][0]
    env = {e["name"]: e.get("value") for e in dump["env"]}
    assert env["PGDATABASE"] == "oncall" and env["PGUSER"] == "oncall" and "PGPASSWORD" in env
    # The pod's settings, but this server and password, and a local directory for the pod's emptyDir.
    env.update(PGHOST="127.0.0.1", PGPORT=server["env"]["PGPORT"], PGPASSWORD="e2e-oncall")
    out_dir = tmp_path / "backup"
    out_dir.mkdir()
    command = [str(server["bin"] / dump["command"][0])] + [a.replace(DUMP_DIR, str(out_dir)) for a in dump["command"][1:]]
    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    (dumped,) = out_dir.iterdir()

    # Later, on a new server: an empty database, then the documented restore with the restoring user's login.
    psql(server, "CREATE ROLE restorer LOGIN PASSWORD 'e2e-restorer'")
    psql(server, "CREATE DATABASE oncall_restored OWNER restorer")
    started = time.monotonic()
    restore = restore_command(str(dumped), "oncall_restored")
    result = subprocess.run([str(server["bin"] / restore[0]), *restore[1:]],
                            env={**server["env"], "PGUSER": "restorer", "PGPASSWORD": "e2e-restorer"},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    after = {name: psql(server, sql, "oncall_restored") for name, sql in READ_BACK.items()}
    print(f"\n[backup] {dumped.stat().st_size} bytes dumped, restored in {time.monotonic() - started:.1f}s")
    assert after == before
    assert before["groups"].startswith("2000|")
    owner = psql(server, "SELECT tableowner FROM pg_tables WHERE tablename = 'alert_group'", "oncall_restored")
    assert owner.strip() == "restorer"


def test_a_restore_that_cannot_finish_says_so(server, tmp_path):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP" + b"\0" * 64)
    psql(server, "CREATE DATABASE broken_target")
    restore = restore_command(str(broken), "broken_target")
    result = subprocess.run([str(server["bin"] / restore[0]), *restore[1:]], env=server["env"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0 and "pg_restore: error" in result.stderr


# The rclone remote derived from Thanos' objstore.yml, against rclone's documented option names.


def test_an_s3_object_store_becomes_an_rclone_s3_remote_with_the_backups_alias_inside_its_bucket():
    conf, prefix = rclone_config(
        "type: S3\nconfig:\n  bucket: metrics\n  endpoint: s3.eu-west-1.amazonaws.com\n  region: eu-west-1\n"
        "  access_key: AKIAEXAMPLE\n  secret_key: example-secret\n"
    )
    assert prefix == "store:metrics/alerting-platform-backups"
    assert conf == (
        "[store]\ntype = s3\nprovider = Other\nendpoint = https://s3.eu-west-1.amazonaws.com\nregion = eu-west-1\n"
        "access_key_id = AKIAEXAMPLE\nsecret_access_key = example-secret\n"
        "\n[backups]\ntype = alias\nremote = store:metrics/alerting-platform-backups\n"
    )


@pytest.mark.parametrize(
    ("objstore", "says"),
    [
        ("offline-placeholder", "expected Thanos' objstore.yml"),
        ("type: SWIFT\nconfig: {container: x}", "type SWIFT is not supported for backups"),
        ("type: S3\nconfig: {endpoint: x}", "S3 config needs `bucket`"),
        ("type: GCS\nconfig: {bucket: b, service_account: 'not json'}", "`service_account` is not JSON"),
    ],
)
def test_an_object_store_the_backups_cannot_use_is_refused_without_echoing_it(objstore, says):
    with pytest.raises(ObjstoreError) as caught:
        rclone_config(objstore)
    assert says in str(caught.value) and "not json" not in str(caught.value) and "placeholder" not in str(caught.value)
