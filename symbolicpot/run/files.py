"""Crash-safe files: atomic replacement (temp file + fsync + rename + directory fsync) and an fsynced append log."""
import json
import os
from pathlib import Path


def atomic_write(path, text, keep_previous=None):
    """Replace `path` by a file holding `text`, so that a crash at any moment leaves the old or the new content.

    With `keep_previous` (a path), the file being replaced is first renamed there (the previous version is kept).
    The data reach the disk (fsync of the file, then of the folder) before this returns.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    if keep_previous is not None and path.exists():
        os.replace(path, keep_previous)
    os.replace(temporary, path)
    fsync_folder(path.parent)


def fsync_folder(folder):
    """Make renames and new files in `folder` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def dumps(document):
    """Compact JSON text of `document`; floats as repr (exact round trip); NaN and infinities are refused."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def is_number(value):
    """Whether a JSON value is a number (int or float; a bool is none, though Python counts it as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value):
    """Whether a JSON value is an integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def remove_stale_temporaries(folder):
    """Delete the temp files an interrupted atomic_write may have left in `folder`."""
    for leftover in Path(folder).glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
