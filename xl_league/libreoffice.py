"""Headless LibreOffice: a real spreadsheet application to open, recalculate and render what
xl-league writes (tests and benchmarks prove workbooks and packs with it; no Excel needed).

``soffice --headless --convert-to FMT`` with a private profile per run. A profile made by
:func:`recalculating_profile` recalculates every formula on load (``OOXMLRecalcMode`` = 0),
even where a file holds cached values; LibreOffice also computes formulas that have none,
which is what openpyxl writes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["find_soffice", "recalculating_profile", "convert", "LibreOfficeError",
           "RECALC_ALWAYS"]

#: registrymodifications.xcu settings: recalculate OOXML and ODF files on every load.
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """LibreOffice failed, or did not write every file it was asked to."""


def find_soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculating_profile(root: Path) -> Path:
    """A private profile folder at ``root`` whose LibreOffice recalculates every formula."""
    (root / "user").mkdir(parents=True, exist_ok=True)
    (root / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    return root


def convert(files: Sequence[Path], fmt: str, outdir: Path, *, profile: Path,
            soffice: str | None = None, timeout: float = 300) -> list[Path]:
    """Convert ``files`` to ``fmt`` (``pdf``, ``xlsx``, ``ods``, ``csv``) in one soffice call.

    ``profile``: a private profile folder (created if missing). Returns the written files in
    the order given (a one-sheet CSV export is named ``STEM-Sheet.csv``); raises :class:`LibreOfficeError` if soffice fails or misses one.
    """
    exe = soffice or find_soffice()
    if exe is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=timeout)
    ext = fmt.split(":")[0]
    outputs, missing = [], []
    for f in files:
        # one sheet exported to CSV is written as "STEM-Sheet name.csv"
        found = [outdir / f"{Path(f).stem}.{ext}"] + sorted(outdir.glob(f"{Path(f).stem}-*.{ext}"))
        hit = next((p for p in found if p.exists()), None)
        (outputs if hit else missing).append(hit or found[0].name)
    if proc.returncode != 0 or missing:
        raise LibreOfficeError(f"LibreOffice did not convert {missing or list(map(str, files))}"
                               f" (exit {proc.returncode}): {proc.stdout}{proc.stderr}")
    return outputs
