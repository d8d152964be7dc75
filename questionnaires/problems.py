"""Located validation problems.

Every problem names the file, the 1-based line and column of the offending
YAML node and its document path, so an author can jump straight to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: A position inside a parsed document: mapping keys are ``str``, list indexes ``int``.
DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """Render ``("sections", 2, "items", 4, "key")`` as ``sections[2].items[4].key``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a definition file.

    ``line`` and ``column`` are 1-based; 0 means "the file as a whole" (for
    instance a file that does not exist) and is left out of ``str()``.
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class ValidationError(Exception):
    """A definition file is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid definition"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problems)" if more > 0 else ""))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "invalid definition"
