"""Read a YAML file into plain data plus a map from document path to source position.

PyYAML's ``safe_load`` forgets where values came from and silently keeps the
last of two duplicate mapping keys. We compose the node graph instead and
build the data ourselves, so every value keeps its line and column and
duplicates are caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import DocPath, Problem, format_path

#: Definition files larger than this are refused before parsing.
MAX_BYTES = 1024 * 1024
#: Aliases can make a small file expand enormously ("billion laughs"); cap the node count.
MAX_NODES = 200_000
#: Deepest nesting of mappings and sequences a definition may use (real ones use < 10).
MAX_DEPTH = 50

_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)


@dataclass
class Document:
    """Parsed data of one file, with the position of every value and mapping key."""

    file: str
    data: Any = None
    marks: dict[DocPath, Mark] = field(default_factory=dict)
    key_marks: dict[DocPath, Mark] = field(default_factory=dict)

    def locate(self, path: DocPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at ``path``, or of its nearest ancestor.

        With ``key`` the position of the mapping key is preferred (for
        "unknown key" and "duplicate key" problems).
        """
        if key and path in self.key_marks:
            mark = self.key_marks[path]
            return mark.line + 1, mark.column + 1
        probe = path
        while True:
            if probe in self.marks:
                mark = self.marks[probe]
                return mark.line + 1, mark.column + 1
            if not probe:
                return 1, 1
            probe = probe[:-1]

    def problem(self, path: DocPath, message: str, *, key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path``."""
        line, column = self.locate(path, key=key)
        return Problem(self.file, line, column, format_path(path), message)


def _offset_to_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def read_document(path: Path, display: str | None = None) -> tuple[Document, list[Problem]]:
    """Read and compose ``path``; problems cover I/O, size, encoding and YAML syntax.

    ``display`` is the file name used in problems (defaults to ``str(path)``).
    The returned document has ``data is None`` when nothing usable was parsed.
    """
    file = display if display is not None else str(path)
    doc = Document(file)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return doc, [Problem(file, 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
    if size > MAX_BYTES:
        return doc, [
            Problem(file, 1, 1, "", f"file is too large ({size} bytes; the limit is 1 MiB)")
        ]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return doc, [Problem(file, 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
    nul = raw.find(b"\0")
    if nul >= 0:
        line, col = _offset_to_line_col(raw, nul)
        return doc, [Problem(file, line, col, "", "binary file (contains NUL bytes)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _offset_to_line_col(raw, exc.start)
        byte = raw[exc.start]
        return doc, [Problem(file, line, col, "", f"not valid UTF-8 (byte 0x{byte:02x})")]
    return parse_text(text, file)


def _yaml_error(file: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        problem = problem.removeprefix("but ")
        message = f"YAML syntax error: {problem}"
        if exc.context and exc.problem and exc.context_mark is not None:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        if mark is None:
            return Problem(file, 1, 1, "", message)
        return Problem(file, mark.line + 1, mark.column + 1, "", message)
    return Problem(file, 1, 1, "", f"YAML syntax error: {exc}")


def parse_text(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Compose YAML ``text`` into a :class:`Document`; see :func:`read_document`."""
    doc = Document(file)
    try:
        too_deep = _too_deep(text)
        if too_deep is not None:
            return doc, [
                Problem(
                    file,
                    too_deep.line + 1,
                    too_deep.column + 1,
                    "",
                    f"YAML nested deeper than {MAX_DEPTH} levels",
                )
            ]
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        return doc, [
            Problem(
                file,
                line,
                col,
                "",
                f"YAML syntax error: unacceptable character #x{exc.character:04x}",
            )
        ]
    except yaml.YAMLError as exc:
        return doc, [_yaml_error(file, exc)]
    if root is None:
        return doc, [Problem(file, 1, 1, "", "file is empty")]
    builder = _Builder(doc)
    try:
        doc.data = builder.convert(root, ())
    except _TooLarge:
        return doc, [
            Problem(file, 1, 1, "", f"document expands to more than {MAX_NODES} nodes (aliases)")
        ]
    return doc, builder.problems


def _too_deep(text: str) -> Mark | None:
    """Where the YAML first nests deeper than MAX_DEPTH, or None. PyYAML's parser is
    iterative but its composer recurses, so depth is measured on the event stream
    first: a deep file becomes one located problem, never a RecursionError."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return None


class _TooLarge(Exception):
    pass


class _Builder:
    """Turns a node graph into dicts/lists/scalars, recording marks and duplicates."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.active: set[int] = set()
        self.count = 0

    def _scalar(self, node: ScalarNode, path: DocPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            # Reported once here; carry on with the text as written to avoid
            # a second, confusing "wrong type" problem.
            self.problems.append(self.doc.problem(path, f"unsupported YAML tag {node.tag!r}"))
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            self.problems.append(self.doc.problem(path, f"invalid value: {exc.problem}"))
            return None

    def convert(self, node: Node, path: DocPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        self.doc.marks[path] = node.start_mark
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if len(path) >= MAX_DEPTH:  # reached through aliases; plain nesting is caught earlier
            self.problems.append(
                self.doc.problem(path, f"YAML nested deeper than {MAX_DEPTH} levels (aliases)")
            )
            return None
        if id(node) in self.active:
            self.problems.append(self.doc.problem(path, "recursive alias"))
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ_TAG:
                    self.problems.append(
                        self.doc.problem(path, f"unsupported YAML tag {node.tag!r}")
                    )
                return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            if node.tag != _MAP_TAG:
                self.problems.append(self.doc.problem(path, f"unsupported YAML tag {node.tag!r}"))
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: MappingNode, path: DocPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            where = format_path(path)
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    Problem(self.doc.file, line, col, where, "mapping keys must be plain scalars")
                )
                continue
            if key_node.tag == _MERGE_TAG:
                self.problems.append(
                    Problem(self.doc.file, line, col, where, "merge keys ('<<') are not supported")
                )
                continue
            key = self._scalar(key_node, path)
            if not isinstance(key, str) or isinstance(key, bool):
                # Only str and int keys are meaningful here (int for levels like
                # ``5:``); keep anything else (yes/no, null, dates) as written.
                key = key if type(key) is int else str(key_node.value)
            child: DocPath = (*path, str(key))
            if key in first:
                self.problems.append(
                    Problem(
                        self.doc.file,
                        line,
                        col,
                        format_path(child),
                        f"duplicate key {_quote(key)} (first defined at line "
                        f"{first[key].line + 1})",
                    )
                )
                continue
            first[key] = key_node.start_mark
            self.doc.key_marks[child] = key_node.start_mark
            result[key] = self.convert(value_node, child)
        return result


def _quote(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)
