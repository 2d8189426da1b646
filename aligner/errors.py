"""Errors the library raises; the CLI turns each into a one-line message and a non-zero exit."""

from __future__ import annotations


class AlignerError(Exception):
    """Base class: anything a user can cause by giving bad input or a bad id."""


class InputError(AlignerError):
    """A file cannot be used: missing, empty, binary, not UTF-8, malformed.

    The message always names the file and, where known, the line or unit, so a
    translator can find the problem without a traceback.
    """

    def __init__(self, path: str | None, problem: str, *, line: int | None = None, unit: str | None = None):
        self.path = path
        self.problem = problem
        self.line = line
        self.unit = unit
        where = str(path) if path else "<input>"
        if line is not None:
            where += f":{line}"
        if unit is not None:
            where += f" (unit {unit})"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        # Picklable with its fields (a build reads works in worker processes and re-raises their errors).
        return _input_error, (self.path, self.problem, self.line, self.unit)


def _input_error(path, problem, line, unit) -> "InputError":
    return InputError(path, problem, line=line, unit=unit)


class UnknownError(AlignerError):
    """An id that names nothing: unknown work, version, language, segment or revision."""


class ConflictError(AlignerError):
    """An optimistic-concurrency check failed: the slot changed since it was read."""

    def __init__(self, message: str, *, current_text: str = "", current_status: str = "", current_token: str = ""):
        super().__init__(message)
        self.current_text = current_text
        self.current_status = current_status
        self.current_token = current_token
