"""Reading catalogs from YAML into the same models the Python catalog builds, with errors that name file and field."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

import yaml
from pydantic import ValidationError

from model.catalog import Organisation
from model.errors import CrossReferenceError, InputError, Problem, format_path, problems_from, problems_from_references

NOT_A_CATALOG = (
    "a Pulumi project or stack file, not a catalog: a catalog path names a catalog YAML file or a directory "
    "holding only catalog YAML files"
)
MAX_FILE_BYTES = 8 << 20
"""A catalog (one file, or a directory's files together) larger than 8 MiB is refused."""
MAX_FILES = 1000
"""At most this many *.yaml files in a catalog directory."""
MAX_DEPTH = 32
"""Nesting deeper than this is refused: the catalog's own structure is about a dozen levels deep."""
MAX_NODES = 1_000_000
"""Values in one file after aliases are expanded; an alias bomb is refused before anything walks it."""


class _CatalogLoader(yaml.CSafeLoader):
    """A safe loader for catalogs: string keys only, no duplicate keys (the constructors below); depth and expanded
    size are bounded before the document is built (read_yaml). libyaml parses and composes: the pure-Python
    parser took seconds for a catalog of a thousand services."""


def _check_depth(text: str) -> int | None:
    """Refuse nesting deeper than MAX_DEPTH before libyaml's composer, which recurses in C, builds the nodes.
    Returns the document's node count, or None where it uses aliases (its expanded size is then to be counted)."""
    depth = 0
    nodes: int | None = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            nodes = None
        elif isinstance(event, yaml.ScalarEvent):
            nodes = None if nodes is None else nodes + 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            nodes = None if nodes is None else nodes + 1
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return nodes


def _mapping_strict(loader: _CatalogLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain string, not a list or mapping", key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key_node.value!r} must be a string (YAML reads it as {type(key).__name__}): quote it",
                key_node.start_mark,
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_CatalogLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_strict)


def _timestamp(loader: _CatalogLoader, node: yaml.ScalarNode) -> object:
    # PyYAML builds 2026-02-30 into datetime() and lets its ValueError out, with no line: give it one.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a date: {exc}", node.start_mark) from None


_CatalogLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [v for pair in node.value for v in pair]
    return []


class _Recursive(Exception):
    pass


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document has once aliases are expanded (an alias shares its anchor's node: count each
    use). Raises _Recursive for a node that contains itself, which YAML allows and no model can hold."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # depth first, children before their parent, without recursion
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            sizes[key] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in _children(node)))
        elif key not in sizes:
            if key in active:
                raise _Recursive
            active.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file of a sane size (without opening FIFOs or devices)."""
    try:
        info = path.stat()
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputError([Problem(str(path), "(file)", reason)]) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem(str(path), "(file)", "is a directory, not a YAML file")])
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(str(path), "(file)", "not a regular file (a device, FIFO or socket)")])
    if info.st_size > MAX_FILE_BYTES:
        raise InputError([Problem(str(path), "(file)", f"larger than {MAX_FILE_BYTES >> 20} MiB")])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError([Problem(str(path), "(file)", exc.strerror or str(exc))]) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError([Problem(str(path), "(file)", f"larger than {MAX_FILE_BYTES >> 20} MiB")])
    return data


def read_yaml(path: Path) -> object:
    """Parse one YAML file; every way it can be wrong becomes an InputError naming the file and line."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError([Problem(str(path), f"line {line}", "not UTF-8 text: is this a binary file?")]) from None
    loader = None
    try:
        nodes = _check_depth(text)  # libyaml's reader refuses control characters here already
        loader = _CatalogLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = nodes if nodes is not None else _expanded_size(node)
        except _Recursive:
            raise InputError([Problem(str(path), "(file)", "an alias inside the value it names: the document contains itself")]) from None
        if size > MAX_NODES:
            raise InputError([Problem(str(path), "(file)", f"more than {MAX_NODES:,} values once its aliases are expanded")])
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise InputError([Problem(str(path), where, str(getattr(exc, "problem", None) or exc))]) from None
    except RecursionError:
        raise InputError([Problem(str(path), "(file)", f"nested deeper than {MAX_DEPTH} levels")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_catalog(path: str | Path) -> Organisation:
    """Load a catalog from one YAML file, or from every *.yaml file of a directory (teams are concatenated).

    In a directory, organisation-level keys (name, platform_team, ...) may be given in one file only.
    """
    path = Path(path)
    files = _catalog_files(path)

    merged: dict = {}
    origin: list[tuple[str, int]] = []  # merged team index -> (file, index in that file)
    owner_of_key: dict[str, str] = {}
    problems: list[Problem] = []
    for file in files:
        try:
            doc = read_yaml(file)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(str(file), "(top level)", "must be a mapping with a `teams` list"))
            continue
        if file.name.startswith("Pulumi.") or ("config" in doc and "teams" not in doc):
            problems.append(Problem(str(file), "(file)", NOT_A_CATALOG))
            continue
        for key, value in doc.items():
            if key == "teams":
                if not isinstance(value, list):
                    problems.append(Problem(str(file), "teams", "must be a list"))
                    continue
                origin.extend((str(file), i) for i in range(len(value)))
                merged.setdefault("teams", []).extend(value)
            elif key in owner_of_key:
                problems.append(Problem(str(file), str(key), f"already given in {owner_of_key[key]}"))
            else:
                owner_of_key[key] = str(file)
                merged[key] = value
    if problems:
        raise InputError(problems)

    default_source = str(files[0]) if len(files) == 1 else str(path)

    def locate(loc: tuple) -> tuple[str, str]:
        if len(loc) >= 2 and loc[0] == "teams" and isinstance(loc[1], int) and loc[1] < len(origin):
            file, index = origin[loc[1]]
            return file, format_path(("teams", index, *loc[2:]))
        key = loc[0] if loc else None
        return owner_of_key.get(key, default_source), format_path(loc)

    try:
        return Organisation.model_validate(merged)
    except ValidationError as exc:
        raise InputError(problems_from(exc, default_source, locate=locate, model=Organisation)) from None
    except CrossReferenceError as exc:
        raise InputError(problems_from_references(exc, default_source, locate=locate)) from None


def _catalog_files(path: Path) -> list[Path]:
    try:
        is_dir = path.is_dir()
    except OSError:
        is_dir = False  # a symlink loop: read_yaml says so
    if not is_dir:
        return [path]
    try:
        files = sorted(path.glob("*.yaml"))
    except OSError as exc:
        raise InputError([Problem(str(path), "(directory)", exc.strerror or str(exc))]) from None
    if not files:
        raise InputError([Problem(str(path), "(directory)", "no *.yaml catalog files")])
    if len(files) > MAX_FILES:
        raise InputError([Problem(str(path), "(directory)", f"more than {MAX_FILES} *.yaml files")])
    total = 0
    for file in files:
        try:
            total += file.stat().st_size if file.is_file() else 0
        except OSError:
            pass  # read_yaml names the file and why
    if total > MAX_FILE_BYTES:
        raise InputError([Problem(str(path), "(directory)", f"its *.yaml files are larger than {MAX_FILE_BYTES >> 20} MiB together")])
    return files


def build_catalog(factory, package_dir: Path) -> Organisation:
    """Run a Python catalog factory; a validation error names the catalog file and line that built the bad object."""
    try:
        return factory()
    except ValidationError as exc:
        source = _origin(exc, package_dir)
        prefix = () if exc.title == "Organisation" else (exc.title,)
        raise InputError(problems_from(exc, source, prefix=prefix, model=_model_named(exc.title))) from None
    except CrossReferenceError as exc:
        raise InputError(problems_from_references(exc, _origin(exc, package_dir))) from None


def _model_named(title: str):
    """The model class a ValidationError is about (a Python catalog builds nested objects one by one)."""
    from pydantic import BaseModel

    todo, seen = [BaseModel], set()
    while todo:
        cls = todo.pop()
        if cls.__name__ == title and cls.__module__.startswith("model."):
            return cls
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return None


def _origin(exc: BaseException, package_dir: Path) -> str:
    """`file:line` of the deepest catalog frame that raised, relative to the working directory where possible."""
    found = str(package_dir)
    tb = exc.__traceback__
    while tb is not None:
        file = Path(tb.tb_frame.f_code.co_filename)
        if file.is_relative_to(package_dir):
            try:
                shown = file.relative_to(Path.cwd())
            except ValueError:
                shown = file
            found = f"{shown}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
