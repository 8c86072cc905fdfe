#!/usr/bin/env python3
"""Vendor every chart of `charts/charts.lock.yaml` from clones of its source repositories.

    scripts/vendor_charts.py --clones DIR [--only NAME ...]

DIR holds one git clone (or bare mirror) per source repository, as DIR/<owner>/<name> or DIR/<owner>+<name>[/repo].
For each chart the tree at its release tag is exported into charts/<name>/ (replacing what was there), its
dependencies into charts/<name>/charts/<dependency>/, `set` fields are written into Chart.yaml, the published index
entry is copied from the repository's gh-pages branch into charts/index/, and the lock records the tag's commit
and the tree's digest. Run it after changing a pin in the lock; review the diff like any other change.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli.charts import CHARTS_DIR, LOCK_FILE, tree_digest


def clone_of(clones: Path, url: str) -> Path:
    owner, name = url.rstrip("/").removesuffix(".git").split("/")[-2:]
    for candidate in (clones / owner / name, clones / f"{owner}+{name}" / "repo", clones / f"{owner}+{name}"):
        if candidate.exists():
            return candidate
    raise SystemExit(f"no clone of {url} under {clones} (tried {owner}/{name} and {owner}+{name})")


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def export(repo: Path, ref: str, path: str, into: Path) -> str:
    """The tree at `ref:path` (a release tag, or a commit where the repository tags no chart releases) into `into`;
    returns the commit."""
    commit = git(repo, "rev-list", "-n", "1", ref).decode().strip()
    archive = git(repo, "archive", "--format=tar", commit, path)
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    prefix = path.rstrip("/") + "/"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.name.startswith(prefix) or not member.isfile():
                continue
            target = into / member.name[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
            target.chmod(0o755 if member.mode & 0o111 else 0o644)
    return commit


def set_fields(chart_yaml: Path, fields: dict[str, str]) -> None:
    """Top-level scalar fields of Chart.yaml replaced in place, so the rest of the file stays byte-identical."""
    text = chart_yaml.read_text()
    for key, value in fields.items():
        text, n = re.subn(rf"(?m)^{re.escape(key)}:.*$", f"{key}: {value}", text)
        if n != 1:
            raise SystemExit(f"{chart_yaml}: expected one top-level `{key}:`")
    chart_yaml.write_text(text)


def index_entry(repo: Path, chart: str, version: str) -> dict:
    index = yaml.safe_load(git(repo, "show", "gh-pages:index.yaml"))
    for entry in index["entries"].get(chart, []):
        if str(entry["version"]) == version:
            return entry
    raise SystemExit(f"{chart} {version} is not in the published index of {repo}: pin a published version")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clones", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()

    document = yaml.safe_load(LOCK_FILE.read_text())
    indexes: dict[str, dict] = {}
    for entry in document["charts"]:
        if args.only and entry["name"] not in args.only:
            continue
        source = entry["source"]
        target = CHARTS_DIR / entry["name"]
        source["commit"] = export(clone_of(args.clones, source["git"]), source.get("tag") or source["ref"], source["path"], target)
        if entry.get("set"):
            set_fields(target / "Chart.yaml", entry["set"])
        for dep in entry.get("dependencies", []):
            dsource = dep["source"]
            dsource["commit"] = export(
                clone_of(args.clones, dsource["git"]), dsource["tag"], dsource["path"], target / "charts" / dep["name"]
            )
        chart = yaml.safe_load((target / "Chart.yaml").read_text())
        if str(chart["version"]) != str(entry["version"]):
            raise SystemExit(f"{entry['name']}: the tree at {source.get('tag') or source['ref']} is chart {chart['version']}, not {entry['version']}")
        if "file" in entry["index"]:
            repo = clone_of(args.clones, entry["index"]["from"].split(",")[0])
            found = index_entry(repo, entry["name"], str(entry["version"]))
            doc = indexes.setdefault(entry["index"]["file"], {"apiVersion": "v1", "entries": {}})
            doc["entries"].setdefault(entry["name"], []).append(found)
        entry["digest"] = tree_digest(target)
        print(f"{entry['name']} {entry['version']}: {source.get('tag') or source['ref']} {source['commit'][:12]} {entry['digest'][:19]}")

    for rel, doc in indexes.items():
        path = CHARTS_DIR / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and args.only:
            old = yaml.safe_load(path.read_text())
            for name, found in doc["entries"].items():
                old["entries"][name] = found
            doc = old
        header = "# The entries of the repository's published index.yaml that charts.lock.yaml relies on.\n"
        path.write_text(header + yaml.safe_dump(doc, sort_keys=True, width=120))
    header = "".join(line for line in LOCK_FILE.read_text().splitlines(keepends=True) if line.startswith("#"))
    LOCK_FILE.write_text(header + yaml.safe_dump(document, sort_keys=False, width=120))


if __name__ == "__main__":
    main()
