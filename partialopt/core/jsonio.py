"""Reading and writing the package's JSON files safely.

- :func:`read_json` reads a file and raises :class:`InstanceError` whose message starts with the
  file's path and says what is wrong (missing, a directory, not UTF-8, not JSON, ...).
- :func:`check_numbers` rejects integers too large for a float (JSON allows them; the model does
  not), naming where they are.
- :func:`write_text_atomic` writes through a temporary file in the same folder and renames it over
  the target, so a reader (or a concurrent writer) never sees a half-written file.
- :class:`JsonFile`: ``to_json`` / ``from_json`` / ``save`` / ``load`` for every family's instance
  class (which defines ``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InstanceError


def read_json(path: str | Path, what: str = "JSON") -> Any:
    """The decoded JSON content of ``path``; ``what`` names the expected content in messages
    (``"instance"``, ``"result"``). Raises :class:`InstanceError` starting with the path."""
    p = Path(path)
    if p.is_dir():
        raise InstanceError(f"{path}: is a directory, expected {_a(what)} JSON file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InstanceError(f"{path}: no such file (expected {_a(what)} JSON file)") from None
    except PermissionError:
        raise InstanceError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return parse_json(raw, str(path), what)


def json_type(value: Any) -> str:
    """A decoded value's type name for messages: ``null`` for None, else the Python name (``list``)."""
    return "null" if value is None else type(value).__name__


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def parse_json(raw: bytes | str, source: str, what: str = "JSON") -> Any:
    """Decode JSON text or UTF-8 bytes (a byte-order mark is allowed); errors start with ``source``."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InstanceError(f"{source}: not UTF-8 text (byte {exc.start}); expected {_a(what)} JSON file") from None
    if not raw.strip():
        raise InstanceError(f"{source}: empty, expected {_a(what)} JSON document")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise InstanceError(f"{source}: not valid {what} JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InstanceError(f"{source}: not valid JSON ({exc})") from None
    return data


def check_numbers(data: Any) -> None:
    """Raise :class:`InstanceError` naming the first integer that no float can hold (``blocks[0].bytes``)."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                raise InstanceError(f"{where or 'value'}: number too large ({str(value)[:12]}...)") from None


def _new_file_mode(target: Path) -> int:
    """Permissions for the written file: the existing file's, else 0o666 less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file in the same folder, flushed
    to disk, then :func:`os.replace`. A symlink is followed (its target is replaced). Concurrent
    writers each rename a complete file, so the last one wins and the file is never partial."""
    target = Path(os.path.realpath(path))
    mode = _new_file_mode(target)
    tmp = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with tmp:
            tmp.write(text)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, target)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except OSError:
            pass
        raise


class JsonFile:
    """JSON text and files for a class with ``to_dict`` / ``from_dict`` (instances of every family)."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every instance class defines it
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Any:  # pragma: no cover - every instance class defines it
        raise NotImplementedError

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "instance"):
        """Parse and validate JSON text; messages start with ``source`` for JSON errors and with the
        field path (``users[0].deadline``) for invalid data."""
        return cls._from_data(parse_json(text, source, "instance"), None)

    def save(self, path: str | Path) -> None:
        """Write the JSON form atomically (temporary file + rename in the same folder)."""
        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path):
        """Read and validate a file; every error is an :class:`InstanceError` starting with the path."""
        return cls._from_data(read_json(path, "instance"), str(path))

    @classmethod
    def _from_data(cls, data: Any, source: str | None):
        try:
            if not isinstance(data, dict):
                raise InstanceError(f"expected a JSON object (an instance), got {json_type(data)}")
            check_numbers(data)
            return cls.from_dict(data)
        except InstanceError as exc:
            if source is None:
                raise
            raise InstanceError(f"{source}: {exc}") from None
        except (TypeError, OverflowError) as exc:  # a value of a type the validation does not expect
            raise InstanceError(f"{source or 'instance'}: invalid data ({exc})") from None
