"""Find, load, cache and validate instrument definitions.

The shipped instruments live beside this module (``<key>/v<N>.yaml``), so they
travel inside the wheel. Loading is cached on path, mtime and size: the app
may call :func:`load` on every request without re-parsing YAML, yet an edited
file is picked up at once.
"""

from __future__ import annotations

import copy
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from .model import Instrument
from .problems import Problem, ValidationError
from .source import Document, read_document
from .validator import (
    FILE_RE,
    KEY_RE,
    build_instrument,
    check_instrument,
    check_narratives,
)

#: The package directory: one sub-folder per instrument key.
ROOT = Path(__file__).parent
NARRATIVES = "narratives.yaml"


def _sort(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.line, p.column, p.path, p.message))


def _read_instrument(
    path: Path, display: str | None = None, *, check_name: bool = True
) -> tuple[Instrument | None, list[Problem], Document]:
    doc, problems = read_document(path, display)
    if doc.data is None and problems:
        return None, problems, doc
    problems = _sort([*problems, *check_instrument(doc, path if check_name else None)])
    if problems:
        return None, problems, doc
    return build_instrument(doc.data, source=str(path)), [], doc


def validate_file(path: str | Path, *, check_name: bool = True) -> list[Problem]:
    """Every problem of one instrument file (empty when valid); never raises.

    ``check_name``: see :func:`load_file`.
    """
    return _read_instrument(Path(path), check_name=check_name)[1]


@lru_cache(maxsize=256)
def _load_cached(path: str, _mtime_ns: int, _size: int, check_name: bool) -> Instrument:
    instrument, problems, _ = _read_instrument(Path(path), check_name=check_name)
    if instrument is None:
        raise ValidationError(problems)
    return instrument


def load_file(path: str | Path, *, check_name: bool = True) -> Instrument:
    """Load and validate one definition file; raises :class:`ValidationError`.

    ``check_name`` (default on) requires the key to equal the folder name and
    the version the ``v<N>.yaml`` file name, as the package layout does.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ValidationError(
            [Problem(str(p), 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
        ) from exc
    return _load_cached(str(p), st.st_mtime_ns, st.st_size, check_name)


def versions(key: str, *, root: Path | None = None) -> list[int]:
    """The version numbers defined for ``key``, ascending; empty when there are none."""
    folder = (root or ROOT) / key
    if not KEY_RE.match(key) or not folder.is_dir():
        return []
    found = (FILE_RE.match(f.name) for f in folder.iterdir() if f.is_file())
    return sorted(int(m.group(1)) for m in found if m)


def available(*, root: Path | None = None) -> dict[str, list[int]]:
    """Every instrument key in the package with its versions, keys sorted."""
    base = root or ROOT
    result: dict[str, list[int]] = {}
    for folder in sorted(base.iterdir()):
        if folder.is_dir() and KEY_RE.match(folder.name):
            found = versions(folder.name, root=base)
            if found:
                result[folder.name] = found
    return result


def load(
    key: str,
    version: int | None = None,
    *,
    root: Path | None = None,
    include_drafts: bool = False,
) -> Instrument:
    """Instrument ``key`` at ``version`` (None: the latest published one).

    A given ``version`` loads even when it is a draft (previews, stored answers);
    without one, versions with ``status: draft`` are skipped unless
    ``include_drafts``, so a version the app cannot render yet is never used
    for invitations. Raises KeyError for an unknown key or version (or when
    every version is a draft), ValidationError for an invalid file.
    """
    if version is not None and KEY_RE.match(key) and isinstance(version, int) and version > 0:
        # The common case (a participant's exact version, on every page): one stat
        # of the file, which also keys the parsed copy, instead of listing the folder.
        path = os.path.join(root or ROOT, key, f"v{version}.yaml")
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            return _load_cached(path, st.st_mtime_ns, st.st_size, True)
    found = versions(key, root=root)
    if not found:
        raise KeyError(f"unknown instrument {key!r}")
    if version is None:
        for number in reversed(found):
            instrument = load_file((root or ROOT) / key / f"v{number}.yaml")
            if include_drafts or not instrument.is_draft:
                return instrument
        raise KeyError(f"instrument {key!r} has only draft versions ({found})")
    if version not in found:
        raise KeyError(f"instrument {key!r} has no version {version} (has {found})")
    return load_file((root or ROOT) / key / f"v{version}.yaml")


def latest(key: str, *, root: Path | None = None, include_drafts: bool = False) -> Instrument:
    """The highest published version of instrument ``key`` (drafts too with ``include_drafts``).

    To publish a draft, remove ``status: draft`` from its file (or set
    ``status: published``); the content hash does not change.
    """
    return load(key, None, root=root, include_drafts=include_drafts)


#: Parsed narratives by (path, mtime, size, content hash of the instrument checked against).
#: Instruments hold dicts, so they are not hashable and cannot key an lru_cache.
_NARRATIVES_CACHE: dict[tuple[str, int, int, str], dict[str, Any]] = {}


def _narratives_cached(
    path: Path, mtime_ns: int, size: int, instrument: Instrument
) -> dict[str, Any]:
    ident = (str(path), mtime_ns, size, instrument.content_hash)
    if ident not in _NARRATIVES_CACHE:
        doc, problems = read_document(path)
        if doc.data is not None or not problems:
            problems = _sort([*problems, *check_narratives(doc, instrument)])
        if problems:
            raise ValidationError(problems)
        if len(_NARRATIVES_CACHE) >= 64:
            _NARRATIVES_CACHE.clear()
        _NARRATIVES_CACHE[ident] = doc.data
    return _NARRATIVES_CACHE[ident]


def load_narratives(key: str, *, root: Path | None = None) -> dict[str, Any]:
    """The narratives of ``key`` (``{}`` when it has none), validated against its latest version.

    Shape: ``bands: [{key, label, min, max}]`` over POMP 0-100 and
    ``scales: {scale: {band: text}}``, plus any other mappings (e.g. ``actions``).
    Returns a fresh copy, so callers may modify it.
    """
    instrument = latest(key, root=root)
    path = (root or ROOT) / key / NARRATIVES
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    return copy.deepcopy(_narratives_cached(path, st.st_mtime_ns, st.st_size, instrument))


def clear_cache() -> None:
    """Forget every parsed file (tests; a long-running process never needs it)."""
    _load_cached.cache_clear()
    _NARRATIVES_CACHE.clear()


# --------------------------------------------------------------------------- validating sets


@dataclass
class FileReport:
    """The outcome of validating one file (or one path argument that found nothing)."""

    path: str
    kind: str  # "instrument", "narratives" or "missing"
    problems: list[Problem] = field(default_factory=list)
    instrument: Instrument | None = None
    narratives: dict[str, Any] | None = None
    doc: Document | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: ``path: ok — key vN, 14 scales, 9 sections, 110 items`` (or problem count)."""
        if not self.ok:
            return f"{self.path}: {_count(len(self.problems), 'problem')}"
        if self.instrument is not None:
            inst = self.instrument
            return (
                f"{self.path}: ok — {inst.key} v{inst.version}, "
                f"{_count(len(inst.scales), 'scale')}, {_count(len(inst.sections), 'section')}, "
                f"{_count(len(inst.items), 'item')}"
            )
        narr = self.narratives or {}
        return (
            f"{self.path}: ok — narratives for {Path(self.path).parent.name}, "
            f"{_count(len(narr.get('bands', ())), 'band')}, "
            f"{_count(len(narr.get('scales', {})), 'scale')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _is_candidate(path: Path) -> bool:
    return path.suffix == ".yaml" and (path.name.startswith("v") or path.name == NARRATIVES)


def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, str] | FileReport]:
    """Files to validate in argument order (directories walked), or a report for a bad argument."""
    entries: list[tuple[Path, str] | FileReport] = []
    seen: set[Path] = set()
    for raw in paths:
        arg = Path(raw)
        if arg.is_dir():
            candidates = sorted(
                f
                for f in arg.rglob("*.yaml")
                if f.is_file()
                and _is_candidate(f)
                and not any(part.startswith((".", "__")) for part in f.relative_to(arg).parts)
            )
            if not candidates:
                message = "no definition files (v<N>.yaml, narratives.yaml) found"
                entries.append(
                    FileReport(str(arg), "missing", [Problem(str(arg), 0, 0, "", message)])
                )
        elif arg.exists():
            candidates = [arg]
        else:
            message = "no such file or directory"
            entries.append(FileReport(str(arg), "missing", [Problem(str(arg), 0, 0, "", message)]))
            continue
        for f in candidates:
            resolved = f.resolve()
            if resolved not in seen:
                seen.add(resolved)
                entries.append((f, str(f)))
    return entries


def _latest_beside(folder: Path) -> Path | None:
    """The highest version file in ``folder``, drafts included.

    Narratives are checked against it (not only against the published latest) so that
    publishing a draft can never leave the report text without a scale.
    """
    numbered = [
        (int(m.group(1)), f)
        for f in folder.iterdir()
        if f.is_file() and (m := FILE_RE.match(f.name))
    ]
    return max(numbered)[1] if numbered else None


def validate_paths(paths: Iterable[str | Path]) -> list[FileReport]:
    """Validate files and directories (walked for ``v*.yaml`` and ``narratives.yaml``).

    Besides each file's own problems, two files defining the same key and
    version with different content are a conflict, and each narratives file
    is checked against the latest instrument version in its folder.
    """
    reports: list[FileReport] = []
    by_resolved: dict[Path, FileReport] = {}
    narratives: list[tuple[Path, str]] = []
    for entry in _expand(paths):
        if isinstance(entry, FileReport):
            reports.append(entry)
            continue
        path, display = entry
        if path.name == NARRATIVES:
            narratives.append((path, display))
            continue
        instrument, problems, doc = _read_instrument(path, display)
        report = FileReport(display, "instrument", problems, instrument, doc=doc)
        reports.append(report)
        by_resolved[path.resolve()] = report
    _check_conflicts([r for r in reports if r.kind == "instrument"])
    for path, display in narratives:
        reports.append(_validate_narratives(path, display, by_resolved))
    return reports


def _check_conflicts(reports: list[FileReport]) -> None:
    first: dict[tuple[str, int], FileReport] = {}
    for report in reports:
        inst = report.instrument
        if inst is None or report.problems:
            continue
        ident = (inst.key, inst.version)
        other = first.setdefault(ident, report)
        if (
            other is not report
            and other.instrument is not None
            and (other.instrument.content_hash != inst.content_hash)
        ):
            assert report.doc is not None
            report.problems.append(
                report.doc.problem(
                    ("version",),
                    f"{inst.key} v{inst.version} is also defined in {other.path} with different "
                    "content; publish changes as a new version",
                )
            )


def _validate_narratives(
    path: Path, display: str, by_resolved: dict[Path, FileReport]
) -> FileReport:
    doc, problems = read_document(path, display)
    report = FileReport(display, "narratives", problems, doc=doc)
    if doc.data is None and problems:
        return report
    latest_path = _latest_beside(path.parent)
    instrument: Instrument | None = None
    if latest_path is None:
        problems.append(
            Problem(
                display,
                0,
                0,
                "",
                "no instrument definition (v<N>.yaml) beside this narratives file",
            )
        )
    else:
        known = by_resolved.get(latest_path.resolve())
        if known is not None:
            instrument = known.instrument
        else:
            instrument, inst_problems, _ = _read_instrument(latest_path)
            if inst_problems:
                problems.append(
                    Problem(
                        display,
                        0,
                        0,
                        "",
                        f"cannot check scale keys: {latest_path} has "
                        f"{_count(len(inst_problems), 'problem')}",
                    )
                )
    report.problems = [*problems, *check_narratives(doc, instrument)]
    if not report.problems:
        report.narratives = doc.data
    return report


def _display_root() -> Path:
    """The package directory, relative to the working directory when it is inside it."""
    try:
        return ROOT.relative_to(Path.cwd())
    except ValueError:
        return ROOT


def main(paths: Iterable[str | Path] | None = None, out: TextIO | None = None) -> int:
    """Validate ``paths`` (default: the shipped instruments) and print the outcome.

    Prints every problem, one a line, and returns 1; or, when all is valid,
    one summary line per file and returns 0. Used by ``assessor validate``
    and ``python -m questionnaires``.
    """
    stream = out if out is not None else sys.stdout
    targets = list(paths) if paths is not None else []
    reports = validate_paths(targets or [_display_root()])
    problems = [p for r in reports for p in r.problems]
    if problems:
        for problem in problems:
            print(problem, file=stream)
        return 1
    for report in reports:
        print(report.summary(), file=stream)
    return 0
