"""Writing files safely: one place for atomic saves, lock-file checks and file modes.

Every workbook xl-league writes (recalculated workbooks, templates, imports, packs, the macro
workbook) goes through :func:`atomic_write`: a temporary file in the same folder, then
``os.replace``, so a failure leaves the target byte-identical. A target that is read-only, or
open in Excel or LibreOffice (their lock file is beside it), is refused with a message.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkbookError

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.workbook import Workbook

    from .cached_values import CachedValues

__all__ = ["atomic_write", "save_atomic", "write_bytes_atomic", "check_replaceable",
           "new_file_mode", "LOCK_FILES"]


def new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: Lock files an open workbook has beside it: (name pattern, the application holding it).
LOCK_FILES = (("~${}", "Excel"), (".~lock.{}#", "LibreOffice"))


def check_replaceable(path: Path) -> None:
    """Refuse to replace a workbook that is read-only or open in Excel or LibreOffice.

    POSIX lets ``os.replace`` swap a read-only file (the folder is what counts), and an Excel
    on a shared drive would later save its own copy over the results; both are refused here.
    """
    if not path.exists():
        return
    if not stat.S_IMODE(path.stat().st_mode) & 0o222 or not os.access(path, os.W_OK):
        raise WorkbookError(f"{path} is read-only: make it writable (File Explorer: Properties, "
                            "untick Read-only), or write the results elsewhere with "
                            "-o OTHER.xlsx")
    for pattern, app in LOCK_FILES:
        lock = pattern.format(path.name)
        if (path.parent / lock).exists():
            raise WorkbookError(f"{path} is open in {app} ({lock} is beside it): close it in "
                                f"{app} first, or write the results elsewhere with "
                                f"-o OTHER.xlsx (if {app} is not running, delete {lock})")


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temp_path)`` then move the temp file over ``path``; clean up on failure."""
    folder = path.parent
    check_replaceable(path)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else new_file_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{path.stem}-", suffix=path.suffix or ".tmp",
                                        dir=folder)
    except FileNotFoundError:
        raise WorkbookError(f"cannot write {path}: the folder {folder} does not exist") from None
    except PermissionError:
        raise WorkbookError(f"cannot write {path}: no permission to write in {folder}") from None
    except OSError as exc:  # e.g. the "folder" is a file
        raise WorkbookError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink()
        if isinstance(exc, PermissionError):
            raise WorkbookError(f"cannot write {path}: permission denied (is it open in Excel? "
                                "close it, or write elsewhere with -o OTHER.xlsx)") from None
        if isinstance(exc, OSError):
            raise WorkbookError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def save_atomic(wb: "Workbook", path: str | Path, *,
                cached_values: "CachedValues | None" = None) -> Path:
    """Save ``wb`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    On any failure the temporary file is removed and ``path`` is left exactly as it was.
    The file keeps its permissions; a new file gets the usual ones (umask).
    ``cached_values`` (from :func:`~.cached_values.read_cached_values` of the file ``wb`` was
    loaded from) are given back to those formula cells, which openpyxl saves without values.
    """
    target = Path(path)
    if cached_values and any(cached_values.values()):
        from .cached_values import save_with_cached_values

        atomic_write(target, lambda tmp: save_with_cached_values(wb, tmp, cached_values))
    else:
        atomic_write(target, wb.save)
    return target


def write_bytes_atomic(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`save_atomic`)."""
    target = Path(path)
    atomic_write(target, lambda tmp: tmp.write_bytes(data))
    return target
