"""The organisation's catalogs. A stack names one with `alerting-platform:catalog`: a built-in name or a YAML path."""

from __future__ import annotations

from pathlib import Path

from model.catalog import Organisation
from model.loading import build_catalog, load_catalog

BUILT_IN = ("example",)
"""Catalogs shipped as Python packages under catalog/, named instead of given as a path."""


def load(name_or_path: str, base_dir: Path | None = None) -> Organisation:
    """The catalog a stack names: `example` (the Python example org) or a YAML file or directory of YAML files.

    Relative paths are resolved against `base_dir` (the project directory) when given.
    """
    if name_or_path == "example":
        from catalog import example

        return build_catalog(example.organisation, Path(example.__file__).parent)
    path = Path(name_or_path)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    signature = _signature(path)
    if signature is None:
        return load_catalog(path)
    key = (str(path), signature)
    if key not in _loaded:
        # One run reads its catalog more than once (the secrets it needs, then the program): parse it once.
        _loaded.clear()
        _loaded[key] = load_catalog(path)
    return _loaded[key]


_loaded: dict[tuple[str, tuple], Organisation] = {}
"""The last catalog loaded, by path and content."""


def _signature(path: Path) -> tuple | None:
    """What a catalog's files hold: each one's name and content digest (timestamps are too coarse to trust); None
    when they cannot be read, for load_catalog to say why."""
    import hashlib

    from model.errors import InputError
    from model.loading import _catalog_files, _read_bytes

    try:
        return tuple((str(f), hashlib.sha1(_read_bytes(f), usedforsecurity=False).hexdigest()) for f in _catalog_files(path))
    except InputError:
        return None
