"""Instrument definitions (YAML data), their loader and strict validator.

Everything downstream works with the frozen dataclasses of :mod:`.model`;
nothing else reads the YAML. See README.md in this folder for the format.
"""

from .loader import (
    ROOT,
    FileReport,
    available,
    clear_cache,
    latest,
    load,
    load_file,
    load_narratives,
    main,
    validate_file,
    validate_paths,
    versions,
)
from .model import (
    ARCHETYPE_NAMES,
    ARCHETYPES,
    AUDIENCES,
    ITEM_TYPES,
    SEGMENTS,
    Anchor,
    Cluster,
    Condition,
    Instrument,
    Item,
    Option,
    Scale,
    Section,
)
from .problems import Problem, ValidationError
from .validator import band_for

__all__ = [
    "ARCHETYPES",
    "ARCHETYPE_NAMES",
    "AUDIENCES",
    "ITEM_TYPES",
    "ROOT",
    "SEGMENTS",
    "Anchor",
    "Cluster",
    "Condition",
    "FileReport",
    "Instrument",
    "Item",
    "Option",
    "Problem",
    "Scale",
    "Section",
    "ValidationError",
    "available",
    "band_for",
    "clear_cache",
    "latest",
    "load",
    "load_file",
    "load_narratives",
    "main",
    "validate_file",
    "validate_paths",
    "versions",
]
