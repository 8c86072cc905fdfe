"""Reading catalogs from YAML into the same models the Python catalog builds, with errors that name file and field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from model.catalog import Organisation
from model.errors import CrossReferenceError, InputError, Problem, format_path, problems_from, problems_from_references


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys: YAML would silently keep the last one."""


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(path: Path) -> object:
    """Parse one YAML file; syntax errors become an InputError naming the file and line."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        raise InputError([Problem(str(path), "(file)", exc.strerror or str(exc))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise InputError([Problem(str(path), where, str(getattr(exc, "problem", None) or exc))]) from None


def load_catalog(path: str | Path) -> Organisation:
    """Load a catalog from one YAML file, or from every *.yaml file of a directory (teams are concatenated).

    In a directory, organisation-level keys (name, platform_team, ...) may be given in one file only.
    """
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise InputError([Problem(str(path), "(directory)", "no *.yaml catalog files")])

    merged: dict = {}
    origin: list[tuple[str, int]] = []  # merged team index -> (file, index in that file)
    owner_of_key: dict[str, str] = {}
    problems: list[Problem] = []
    for file in files:
        doc = read_yaml(file)
        if not isinstance(doc, dict):
            problems.append(Problem(str(file), "(top level)", "must be a mapping with a `teams` list"))
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
