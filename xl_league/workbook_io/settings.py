"""The Settings and Metrics sheets → a :class:`Methodology` and a :class:`Catalogue`.

Settings: key in column A, value in column B (rows in any order; a blank value keeps the
year's default). Metrics: the editable catalogue, one row per metric, headed by exactly the
columns of :data:`~xl_league.engine.catalogue.CATALOGUE_COLUMNS`. Each bad cell is one
problem naming the cell; the defaults stand in for it so that reading can go on.
"""

from __future__ import annotations

import dataclasses

from openpyxl.utils import get_column_letter

from ..engine.catalogue import (CATALOGUE_COLUMNS, OPTIONAL_COLUMNS, Catalogue, load_catalogue,
                                metric_from_row)
from ..engine.methodology import (CUT_POINT_RULES, Methodology, available_years,
                                  load_methodology)
from ..errors import CellError, MethodologyError, WorkbookError
from .cells import RawCell, parse_flag_cell, parse_number, parse_text, show
from .layout import METRICS_SHEET, SETTINGS_SHEET

__all__ = ["read_settings", "read_catalogue", "parse_domain_cut_points",
           "format_domain_cut_points"]

Grid = dict[tuple[int, int], RawCell]


def _setting_cells(grid: Grid) -> dict[str, tuple[int, RawCell | None]]:
    """key → (row, value cell) from columns A and B."""
    out: dict[str, tuple[int, RawCell | None]] = {}
    for (row, col), cell in sorted(grid.items()):
        if col == 1 and row > 1:
            key = str(cell.value).strip().lower()
            out.setdefault(key, (row, grid.get((row, 2))))
    return out


def _whole(cell: RawCell, key: str, problems: list, row: int) -> int | None:
    parsed = parse_number(cell, key, percent_cells=False)
    if parsed.problem is None and parsed.value is not None and float(parsed.value).is_integer():
        return int(parsed.value)
    if parsed.problem is None and parsed.value is None:
        return None
    problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"{show(cell.value)} is not a whole "
                              f"number for {key}: type a whole number, e.g. "
                              f"{_EXAMPLES[key]}"))
    return None


_EXAMPLES = {"minimum_metrics": "1", "bootstrap_replicates": "2000", "bootstrap_seed": "2025"}


def read_settings(grid: Grid | None, problems: list[WorkbookError]
                  ) -> tuple[Methodology, str | None]:
    """The Settings sheet's cells → (methodology, quarter); bad cells go to ``problems``."""
    if grid is None:
        return load_methodology(), None
    cells = _setting_cells(grid)

    def cell_of(key: str) -> tuple[int, RawCell | None]:
        return cells.get(key, (0, None))

    for key, (row, cell) in cells.items():
        if cell is not None and cell.formula and cell.uncalculated:
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"holds a formula "
                                      f"({cell.formula}) that has never been calculated: open "
                                      "and save the workbook in Excel, or type the value"))
            cells[key] = (row, None)
        elif cell is not None and cell.value is None:
            cells[key] = (row, None)  # a formula whose value is empty text

    row, cell = cell_of("year")
    meth = load_methodology()
    year = parse_text(cell, "year").value if cell is not None else None
    if year:
        try:
            meth = load_methodology(str(year))
        except MethodologyError:
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"{show(year)} is not a "
                                      "framework year xl-league knows: use "
                                      f"{' or '.join(available_years())}"))
    row, cell = cell_of("quarter")
    quarter = parse_text(cell, "quarter").value if cell is not None else None

    changes: dict[str, object] = {}
    row, cell = cell_of("cut_point_rule")
    rule = str(cell.value).strip().lower() if cell is not None else ""
    if rule and rule not in CUT_POINT_RULES:
        problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"{show(cell.value)} is not a "
                                  f"cut-point rule: use {', '.join(CUT_POINT_RULES[:-1])} or "
                                  f"{CUT_POINT_RULES[-1]}"))
        rule = ""
    if rule:
        changes["cut_point_rule"] = rule
    cuts: list[float | None] = []
    bad_cut = False
    for i in (1, 2, 3):
        key = f"cut_point_{i}"
        row, cell = cell_of(key)
        value = None
        if cell is not None:
            parsed = parse_number(cell, key, percent_cells=False)
            if parsed.problem:
                problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"{show(cell.value)} is "
                                          f"not a number for {key}: type a number such as "
                                          "2.05, or leave it blank"))
                bad_cut = True
            value = parsed.value
        cuts.append(value)
    given = [c for c in cuts if c is not None]
    effective_rule = changes.get("cut_point_rule", meth.cut_point_rule)
    if effective_rule == "fixed" and len(given) < 3 and not bad_cut:
        blank = next(i for i, c in enumerate(cuts, start=1) if c is None)
        row, _ = cell_of(f"cut_point_{blank}")
        problems.append(CellError(SETTINGS_SHEET, f"B{row or 1}", f"the cut-point rule is fixed "
                                  f"but cut_point_{blank} is blank: type all three cut-points, "
                                  "e.g. 2.05, 2.33 and 2.62"))
        changes.pop("cut_point_rule", None)
    elif len(given) == 3:
        if all(b > a for a, b in zip(given, given[1:])):
            changes["fixed_cut_points"] = tuple(given)
        else:
            row, _ = cell_of("cut_point_1")
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", "the cut-points "
                                      f"{', '.join(f'{c:g}' for c in given)} must increase: "
                                      "cut_point_1 < cut_point_2 < cut_point_3"))
            changes.pop("cut_point_rule", None)
    elif given and effective_rule != "fixed":
        pass  # partly typed fixed cut-points are unused under a quartile rule

    row, cell = cell_of("domain_cut_points")
    if cell is not None and str(cell.value or "").strip():
        parsed_domains = parse_domain_cut_points(str(cell.value))
        if isinstance(parsed_domains, str):
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", parsed_domains))
        else:
            changes["domain_cut_points"] = parsed_domains

    row, cell = cell_of("deficit_fallback")
    if cell is not None:
        parsed = parse_flag_cell(cell, "deficit_fallback")
        if parsed.problem:
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", parsed.problem))
        elif parsed.value is not None:
            changes["deficit_fallback"] = parsed.value
    for key, field, low in (("minimum_metrics", "minimum_metrics", 1),
                            ("bootstrap_replicates", "bootstrap_replicates", 0),
                            ("bootstrap_seed", "bootstrap_seed", 0)):
        row, cell = cell_of(key)
        if cell is None:
            continue
        value = _whole(cell, key, problems, row)
        if value is None:
            continue
        if value < low:
            problems.append(CellError(SETTINGS_SHEET, f"B{row}", f"{key} {value} must be at "
                                      f"least {low}"))
            continue
        changes[field] = value
    try:
        meth = dataclasses.replace(meth, **changes)
    except MethodologyError as exc:
        problems.append(WorkbookError(f"'{SETTINGS_SHEET}' sheet: {exc}"))
    return meth, quarter


def parse_domain_cut_points(text: str):
    """``"Access to services: 2.1, 2.5, 2.9; Patient safety: ..."`` → ((domain, cuts), ...),
    or a message saying what is wrong."""
    from ..engine.catalogue import DOMAINS

    out = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        domain, _, numbers = part.partition(":")
        domain = domain.strip()
        if domain not in DOMAINS:
            return (f"{domain!r} is not a domain for domain_cut_points: use "
                    f"{', '.join(DOMAINS)} (e.g. 'Patient safety: 2.1, 2.5, 2.9')")
        try:
            cuts = tuple(float(x) for x in numbers.replace(" ", "").split(",") if x)
        except ValueError:
            cuts = ()
        if len(cuts) != 3 or any(b <= a for a, b in zip(cuts, cuts[1:])):
            return (f"{numbers.strip()!r} for {domain} are not three increasing cut-points: "
                    f"type e.g. '{domain}: 2.1, 2.5, 2.9'")
        out.append((domain, cuts))
    return tuple(out)


def format_domain_cut_points(domain_cuts) -> str:
    """The Settings sheet's text for ((domain, cuts), ...)."""
    return "; ".join(f"{d}: {', '.join(f'{c:g}' for c in cuts)}" for d, cuts in domain_cuts)


def read_catalogue(grid: Grid | None, meth: Methodology, problems: list[WorkbookError]
                   ) -> Catalogue:
    """The Metrics sheet's rows → the catalogue; bad rows go to ``problems``.

    When the sheet is missing or a row is wrong, the year's shipped catalogue stands in so the
    input sheets can still be checked.
    """
    shipped = load_catalogue(meth)
    if grid is None:
        return shipped
    heads = {str(c.value).strip().lower(): col for (r, col), c in grid.items() if r == 1}
    missing = [c for c in CATALOGUE_COLUMNS if c not in heads and c not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(CellError(METRICS_SHEET, "A1", f"the headings lack {', '.join(missing)}: "
                                  f"row 1 must hold {', '.join(CATALOGUE_COLUMNS)} (copy them "
                                  "from a new template)"))
        return shipped
    rows: dict[int, dict[str, object]] = {}
    for (r, col), cell in grid.items():
        if r > 1:
            for key, c in heads.items():
                if c == col and key in CATALOGUE_COLUMNS:
                    value = cell.value
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    rows.setdefault(r, {})[key] = value
    metrics = []
    bad = False
    for r in sorted(rows):
        row = rows[r]
        if all(str(v).strip() == "" for v in row.values()):
            continue
        try:
            metrics.append(metric_from_row(row, meth.types))
        except MethodologyError as exc:
            bad = True
            problems.append(CellError(METRICS_SHEET, f"{get_column_letter(heads['score_id'])}{r}",
                                      f"{exc}: correct this row of the metric catalogue"))
    if not metrics and not bad:
        problems.append(CellError(METRICS_SHEET, "A2", "the Metrics sheet lists no metrics: "
                                  "copy the catalogue from a new template"))
        return shipped
    if bad:  # keep the good rows, let the shipped rows stand in for the bad ones
        ids = {m.score_id for m in metrics}
        metrics += [m for m in shipped if m.score_id not in ids]
    try:
        return Catalogue(meth.year, tuple(metrics))
    except MethodologyError as exc:
        if not bad:
            problems.append(WorkbookError(f"'{METRICS_SHEET}' sheet: {exc}"))
        return shipped
