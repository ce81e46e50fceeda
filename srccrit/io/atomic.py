"""Write outputs all at once (a temporary file beside the target, then a rename), and never onto
a file srccrit has read as input.

Every reader of user files (case YAML, tables, bibliographies, texts) calls :func:`note_input`;
every writer goes through :func:`atomic_path` or :func:`replace_dir`, which refuse a target that
is, or (for a folder) contains, one of those inputs, however the path is spelt (relative, ``..``,
a symlink or a hard link). A symlinked target is written through, never replaced by a file.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

__all__ = ["write_text", "write_bytes", "replace_dir", "atomic_path", "note_input", "forget_inputs", "check_output"]

#: (device, inode) and real path of every file read as input in this process
_INPUTS: dict[tuple[int, int], str] = {}
_INPUT_PATHS: set[str] = set()


def note_input(path: str | os.PathLike) -> None:
    """Record that ``path`` was read as input: no output may be written onto it."""
    real = os.path.realpath(path)
    _INPUT_PATHS.add(real)
    try:
        st = os.stat(real)
    except OSError:
        return
    _INPUTS[(st.st_dev, st.st_ino)] = real


def forget_inputs() -> None:
    """Forget every recorded input (the CLI starts each command afresh)."""
    _INPUTS.clear()
    _INPUT_PATHS.clear()


def _input_at(real: str) -> str | None:
    if real in _INPUT_PATHS:
        return real
    try:
        st = os.stat(real)
    except OSError:
        return None
    return _INPUTS.get((st.st_dev, st.st_ino))


def check_output(target: str | os.PathLike, folder: bool = False, replacing_input: bool = False) -> Path:
    """The real path to write ``target`` to, or :class:`OutputError` if that would overwrite an
    input (for a folder: be one, or contain one) or a file of the wrong kind. ``replacing_input``
    is for the one command meant to rewrite an input (``ingest --append-to``, which keeps a .bak)."""
    real = Path(os.path.realpath(target))
    hit = _input_at(str(real))
    if hit and not replacing_input:
        raise OutputError(f"{target}: refusing to overwrite {hit}, which this command reads as input; choose another -o")
    if folder:
        if real.exists() and not real.is_dir():
            raise OutputError(f"{target}: is a file, not a folder; give -o a folder (new or existing)")
        inside = sorted(p for p in _INPUT_PATHS if Path(p).is_relative_to(real))
        if inside:
            raise OutputError(f"{target}: this folder holds the input {inside[0]}; write the output to another folder")
    elif real.is_dir():
        raise OutputError(f"{target}: is a folder; give -o a file name")
    return real


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "", replacing_input: bool = False):
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    A symlink is written through (the file it points to is replaced, the link kept); a device or
    a pipe (``/dev/stdout``) is written directly; an existing file keeps its permissions.
    """
    real = check_output(target, replacing_input=replacing_input)
    if str(target).startswith(("/dev/", "/proc/")) or (real.exists() and not real.is_file()):
        # a device, a pipe or a descriptor (/dev/stdout): written directly, through the path given
        fd, tmp = tempfile.mkstemp(prefix=".srccrit.", suffix=suffix or ".tmp")
        os.close(fd)
        try:
            yield Path(tmp)
            with open(tmp, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        finally:
            os.unlink(tmp)
        return
    real.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=suffix or ".tmp", dir=real.parent)
    os.close(fd)
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else 0o666 & ~_umask()
    os.chmod(tmp, mode)  # as the file it replaces, or an ordinary new file (not mkstemp's 0600)
    try:
        yield Path(tmp)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(target: str | os.PathLike, data: bytes, replacing_input: bool = False) -> Path:
    with atomic_path(target, replacing_input=replacing_input) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike, text: str, replacing_input: bool = False) -> Path:
    return write_bytes(target, text.encode("utf-8"), replacing_input)


@contextmanager
def replace_dir(target: str | os.PathLike):
    """Build a folder's contents in a temporary sibling; on success move them into ``target``.

    A new folder is renamed into place whole, with the permissions of an ordinary new folder.
    Into an existing folder each built file is renamed over its old version one by one: the
    folder keeps its permissions, and the files the build does not produce (the user's own,
    symlinks included) are not touched. A symlinked ``target`` is written through. On error
    the temporary folder is removed and ``target`` is as it was.
    """
    real = check_output(target, folder=True)
    real.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.", suffix=".building", dir=real.parent))
    try:
        yield tmp
        if not real.exists():
            os.chmod(tmp, 0o777 & ~_umask())
            os.replace(tmp, real)
        else:
            _move_into(tmp, real)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _move_into(built: Path, dest: Path) -> None:
    for folder, dirs, files in os.walk(built):
        rel = Path(folder).relative_to(built)
        target_dir = dest / rel
        if target_dir.is_symlink() or not target_dir.exists():
            target_dir = Path(os.path.realpath(target_dir))
            target_dir.mkdir(parents=True, exist_ok=True)
        elif not target_dir.is_dir():
            raise OutputError(f"{target_dir}: is a file where the report writes a folder; move it away and run again")
        for name in files:
            src, out = Path(folder) / name, target_dir / name
            real = check_output(out)
            if real != out or (real.exists() and not real.is_file()):
                with atomic_path(out) as tmp:
                    shutil.copyfile(src, tmp)
            else:
                os.replace(src, out)
