"""Reading NHS England's published NHS Oversight Framework CSV files (no workbook I/O).

Two formats, both UTF-8 with a byte-order mark and CRLF line ends:

*Trust data* (long format, one row per organisation × metric)::

    Quarter, Region, Trust_type, Trust_subtype, Trust_code, Trust_name, Domain, Sub-domain,
    Metric_ID, Metric_description, Reporting_date, Units, Value, Median_value,
    Lower_quartile, Upper_quartile, Rank

:func:`read_nhse_trust_data` turns one or several such files (e.g. one per trust type) into
the engine's inputs for one quarter — organisations and metric values — plus what NHS England
published for that quarter (average metric score, segments, league position) to compare with.

*League table* (one row per organisation)::

    Quarter, Region, Trust_type, Trust_subtype, Trust_code, Trust_name, Average_score,
    Likely_range_of_average_score, Segment, Trust_in_financial_deficit, Rank,
    Likely_range_of_rank

:func:`read_nhse_league_table` reads it with the likely ranges ("1.2 to 1.89") split into
low and high columns.

Metric IDs: ``OF0xxx`` raw value, ``OF1xxx`` its 2025/26 score, ``OF2xxx`` 2026/27 score
(ignored), ``OF40xx`` domain scores, ``OF41xx`` domain segments, ``OF5002`` average metric
score, ``OF5003`` unadjusted segment, ``OF5004`` financial override flag, ``OF5000`` adjusted
segment (its ``Rank`` is the league position), ``OF5005`` final segment, ``OF5007`` Recovery
Support Programme flag. Trust codes are ODS codes and always stay text.

Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from .engine.catalogue import Catalogue, Metric, load_catalogue
from .engine.inputs import normalise_type
from .engine.methodology import Methodology, load_methodology
from .errors import InputError
from .cut_point_inference import InferredCutPoints, infer_cut_points
from .nhse_scores import (DOMAIN_SCORE_IDS, DOMAIN_SEGMENT_IDS, PeerGroupFit,
                          reconstruct_scores)

__all__ = ["NhseImport", "read_nhse_trust_data", "read_nhse_league_table", "parse_quarter",
           "TRUST_DATA_COLUMNS", "LEAGUE_TABLE_COLUMNS", "PUBLISHED_SUMMARY"]

#: The trust-data file's header, in NHS England's order.
TRUST_DATA_COLUMNS = ("Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code",
                      "Trust_name", "Domain", "Sub-domain", "Metric_ID", "Metric_description",
                      "Reporting_date", "Units", "Value", "Median_value", "Lower_quartile",
                      "Upper_quartile", "Rank")
#: The columns the import needs; the others are informative.
_REQUIRED_TRUST_DATA = ("Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code",
                        "Trust_name", "Domain", "Metric_ID", "Value")
#: The league-table file's header, in NHS England's order (all required).
LEAGUE_TABLE_COLUMNS = ("Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code",
                        "Trust_name", "Average_score", "Likely_range_of_average_score",
                        "Segment", "Trust_in_financial_deficit", "Rank", "Likely_range_of_rank")
#: Summary metric IDs → the column of :attr:`NhseImport.published` (named like the league).
PUBLISHED_SUMMARY = {"OF5002": "average_score", "OF5003": "unadjusted_segment",
                     "OF5004": "financial_override", "OF5000": "segment",
                     "OF5005": "final_segment", "OF5007": "in_rsp"}
#: Text NHS England (or a spreadsheet) uses for "no value"; anything else must be a number.
_MISSING = {"", "-", "n/a", "na", "*", ".."}
_QUARTER = re.compile(r"^\s*Q([1-4])\s+(\d{4})\s*/\s*(\d{2})\s*$", re.IGNORECASE)
_METRIC_ID = re.compile(r"^OF(\d)(\d{3})$")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+to\s+(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NhseImport:
    """One quarter of NHS England's trust data, ready for :func:`~xl_league.compute_league_tables`.

    ``organisations``: one row per organisation, columns ``code, name, type, region, subtype,
    in_deficit, in_rsp`` (type = the engine's key, e.g. ``non-acute``; flags "Yes"/"No"/""),
    sorted by type then code. ``values``: indexed by ``code``, one float column per metric ID
    the engine should see (raw ``OF0xxx`` values, published ``OF1xxx`` scores by ``scores``).
    ``published``: indexed by ``code``, NHS England's own results — ``average_score`` (OF5002),
    ``unadjusted_segment`` (OF5003), ``financial_override`` (OF5004, 1 = applied),
    ``segment`` (OF5000), ``final_segment`` (OF5005), ``in_rsp`` (OF5007), ``position`` (the
    Rank of OF5000), then the domain scores and segments under their IDs (OF4000…OF4105).
    ``catalogue``: the catalogue given, extended with any published score it lacked.
    ``cut_points``: per national pool present (e.g. ``"acute + non-acute + ambulance"``), the
    cut-points NHS England's published averages and unadjusted segments imply (None where the
    file has neither); ``domain_cut_points``: the same per domain from OF40xx / OF41xx.
    ``peer_groups``: how each ranked metric's printed scores were read (grid size n per type).
    """

    organisations: pd.DataFrame
    values: pd.DataFrame
    quarter: str
    quarters_available: tuple[str, ...]
    catalogue: Catalogue
    published: pd.DataFrame
    warnings: tuple[str, ...] = ()
    cut_points: dict[str, InferredCutPoints] = dataclasses.field(default_factory=dict)
    domain_cut_points: dict[str, InferredCutPoints] = dataclasses.field(default_factory=dict)
    peer_groups: tuple[PeerGroupFit, ...] = ()


def parse_quarter(text: str) -> tuple[int, int] | None:
    """"Q2 2025/26" → (2025, 2) (financial year start, quarter); None if not like that."""
    m = _QUARTER.match(str(text))
    return (int(m.group(2)), int(m.group(1))) if m else None


def _canonical_quarter(text: str) -> str:
    parsed = parse_quarter(text)
    if parsed is None:
        return " ".join(str(text).split())
    year, q = parsed
    return f"Q{q} {year}/{(year + 1) % 100:02d}"


def _quarters_in_order(quarters) -> tuple[str, ...]:
    """Distinct quarters, oldest first (unrecognised labels first, alphabetically)."""
    def key(q: str):
        parsed = parse_quarter(q)
        return (1, parsed, "") if parsed else (0, (0, 0), q)
    return tuple(sorted(set(quarters), key=key))


def _choose_quarter(available: tuple[str, ...], quarter: str | None, what: str) -> str:
    if not available:
        raise InputError(f"{what} has no rows: there is no quarter to import")
    if quarter is None:
        return available[-1]
    wanted = _canonical_quarter(quarter)
    for q in available:
        if _canonical_quarter(q).lower() == wanted.lower():
            return q
    raise InputError(f"quarter {quarter!r} is not in {what}: the quarters available are "
                     f"{', '.join(available)}")


def _parser_line(exc: Exception) -> str:
    """`` line N`` of the file from pandas' parser message ("... in line 3" is 1-based,
    "... starting at row 1" counts data rows from 0 after the header), or nothing."""
    text = str(exc)
    if m := re.search(r"\bline (\d+)", text):
        return f" line {int(m.group(1))}"
    if m := re.search(r"\brow (\d+)", text):
        return f" line {int(m.group(1)) + 1}"
    return ""


def _read_csv(path: Path, required: Sequence[str], kind: str) -> pd.DataFrame:
    """All cells as text (codes stay text), with a ``_file`` and ``_line`` for messages."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    frame = None
    for encoding in ("utf-8-sig", "cp1252"):  # cp1252: a file re-saved by Excel on Windows
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                                skipinitialspace=False)
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty; expected NHS England's {kind} "
                             "CSV") from None
        except pd.errors.ParserError as exc:
            raise InputError(f"{path}{_parser_line(exc)}: the CSV is malformed (an unclosed "
                             "quote, or a row with more fields than the header): download "
                             f"NHS England's {kind} CSV again, or re-save it from Excel as "
                             "CSV") from None
    if frame is None:
        raise InputError(f"{path}: not a text CSV file; expected NHS England's {kind} CSV")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing and len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        raise InputError(f"{path} line 1: the columns are separated by semicolons (;), as a "
                         "spreadsheet set to a European locale saves CSV: NHS England's CSV "
                         "uses commas; download it again, or re-save it with commas")
    if missing:
        raise InputError(f"{path}: not NHS England's {kind} CSV — missing column(s) "
                         f"{', '.join(missing)} (the header must include "
                         f"{', '.join(required)})")
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    frame["_file"] = str(path)
    frame["_line"] = np.arange(2, len(frame) + 2)  # line 1 is the header
    return frame


def _as_list(paths) -> list[Path]:
    return [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]


def _read_all(paths, required: Sequence[str], kind: str) -> pd.DataFrame:
    paths = _as_list(paths)
    if not paths:
        raise InputError(f"no files given: name at least one NHS England {kind} CSV")
    return pd.concat([_read_csv(p, required, kind) for p in paths], ignore_index=True)


def _where(frame: pd.DataFrame, i) -> str:
    return f"{frame.at[i, '_file']} line {frame.at[i, '_line']}"


def _numbers(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    """A text column → floats; recognised missing markers → NaN; other text raises."""
    text = frame[column]
    blank = text.str.lower().isin(_MISSING)
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        i = bad.idxmax()
        about = (f" for trust {frame.at[i, 'Trust_code']}"
                 + (f", metric {frame.at[i, 'Metric_ID']}" if "Metric_ID" in frame else ""))
        raise InputError(f"{_where(frame, i)}: {column} {text[i]!r}{about} is not a number "
                         f"({what}); expected a number or a blank")
    return numbers.astype(float)


def _engine_types(frame: pd.DataFrame, meth: Methodology) -> pd.Series:
    """Trust_type → the engine's type key; an unknown type names the file, line and value."""
    mapping = {t: normalise_type(t) for t in frame["Trust_type"].unique()}
    for text, key in mapping.items():
        if key is None or key not in meth.types:
            i = frame.index[frame["Trust_type"] == text][0]
            raise InputError(f"{_where(frame, i)}: Trust_type {text!r} is not a trust type "
                             "xl-league knows (expected e.g. 'Acute trust', 'Mental health and "
                             "community trust', 'Ambulance trust')")
    return frame["Trust_type"].map(mapping)


def _check_duplicates(frame: pd.DataFrame, keys: list[str]) -> None:
    """Each (quarter, trust[, metric]) once: a second row names both files and lines."""
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = frame.index[dup]
        first = rows[0]
        same = rows[(frame.loc[rows, keys] == frame.loc[first, keys]).all(axis=1)]
        labels = {"Trust_code": "trust", "Metric_ID": "metric", "Quarter": "quarter"}
        described = ", ".join(f"{labels.get(k, k)} {frame.at[first, k]}" for k in keys)
        raise InputError(f"{_where(frame, same[1])}: {described} is already given at "
                         f"{_where(frame, same[0])}; each may appear once only — remove one "
                         "of the rows (or a file given twice)")


def _flag_text(value: float, where: str, what: str) -> str:
    if np.isnan(value):
        return ""
    if value == 1:
        return "Yes"
    if value == 0:
        return "No"
    raise InputError(f"{where}: {what} {value:g} is not a flag; expected 1 (yes) or 0 (no)")


def read_nhse_trust_data(paths: Sequence[Path | str] | Path | str, quarter: str | None = None,
                         scores: Literal["published", "raw"] = "published",
                         catalogue: Catalogue | None = None,
                         methodology: Methodology | None = None) -> NhseImport:
    """NHS England's trust-data CSV(s) → the engine's inputs for one quarter.

    ``paths``: one or several files (e.g. one per trust type); their rows are concatenated.
    ``quarter``: e.g. ``"Q2 2025/26"``; default the latest quarter present.
    ``scores``: ``"published"`` passes the raw OF0xxx values and NHS England's OF1xxx scores
    (a supplied score wins in the engine), ranked scores as NHS England's unrounded ones
    reconstructed from the printed 2 dp (:mod:`xl_league.nhse_scores`), so the published
    averages, segments and positions are reproduced exactly;
    ``"raw"`` passes the raw values and only the scores the engine cannot compute (supplied
    metrics, or metrics with no raw value in the file), so everything else is rescored.
    Published scores of metrics missing from the catalogue are imported as supplied scores
    (in the average) and listed in ``warnings``.
    """
    if scores not in ("published", "raw"):
        raise InputError(f"scores {scores!r} is not 'published' or 'raw'")
    meth = methodology or load_methodology()
    cat = catalogue or load_catalogue(meth)
    data = _read_all(paths, _REQUIRED_TRUST_DATA, "trust data")
    if data.empty:
        raise InputError(f"{', '.join(sorted(set(map(str, _as_list(paths)))))}: a header but "
                         "no rows of trust data")
    bad_id = ~data["Metric_ID"].str.upper().str.match(_METRIC_ID.pattern)
    if bad_id.any():
        i = bad_id.idxmax()
        raise InputError(f"{_where(data, i)}: Metric_ID {data.at[i, 'Metric_ID']!r} is not "
                         "like OF0023")
    blank_code = data["Trust_code"] == ""
    if blank_code.any():
        raise InputError(f"{_where(data, blank_code.idxmax())}: Trust_code is blank; every row "
                         "needs the trust's ODS code")
    data["Metric_ID"] = data["Metric_ID"].str.upper()
    data["Quarter"] = data["Quarter"].map(_canonical_quarter)
    data["type"] = _engine_types(data, meth)
    _check_duplicates(data, ["Trust_code", "Metric_ID", "Quarter"])
    available = _quarters_in_order(data["Quarter"])
    chosen = _choose_quarter(available, quarter, "the trust-data file(s)")
    rows = data[data["Quarter"] == chosen].copy()
    rows["value"] = _numbers(rows, "Value", "the metric's value")

    organisations = _organisations(rows, meth)
    wide = rows.pivot(index="Trust_code", columns="Metric_ID", values="value")
    wide = wide.reindex(organisations["code"])
    wide.index.name = "code"
    wide.columns.name = None
    ranks = _ranks(rows, wide.index)

    cat, warnings = _extend_catalogue(rows, wide, cat)
    types = organisations.set_index("code")["type"]
    cat, more = _widen_types(wide, cat, types)
    warnings += more
    wide, more = _drop_unscored_values(wide, cat)
    warnings += more
    unrounded, fits = reconstruct_scores(wide, ranks, types, cat, best=meth.best_score,
                                         worst=meth.worst_score)
    printed = wide
    if scores == "published":
        wide = wide.copy()
        wide[unrounded.columns] = unrounded
    else:
        wide, more = _order_ties_by_rank(wide, ranks, cat, types, meth)
        warnings += more + _approximate_in_raw_mode(fits, cat, types, meth)
    values, more = _engine_values(wide, cat, scores, types)
    warnings += more
    organisations["in_deficit"] = _flags(rows, "OF5004", organisations["code"],
                                         "OF5004 financial override")
    organisations["in_rsp"] = _flags(rows, "OF5007", organisations["code"],
                                     "OF5007 Recovery Support Programme flag")
    published = _published(rows, printed)
    cuts, domain_cuts = _inferred_cut_points(published, types, meth)
    return NhseImport(organisations=organisations, values=values, quarter=chosen,
                      quarters_available=available, catalogue=cat, published=published,
                      warnings=tuple(warnings), cut_points=cuts, domain_cut_points=domain_cuts,
                      peer_groups=tuple(fits))


def _ranks(rows: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """The file's Rank column, trusts × metric IDs (NaN where blank or not a number)."""
    if "Rank" not in rows.columns:
        return pd.DataFrame(index=codes)
    rank = pd.to_numeric(rows["Rank"].where(~rows["Rank"].str.lower().isin(_MISSING)),
                         errors="coerce")
    wide = rows.assign(_rank=rank).pivot(index="Trust_code", columns="Metric_ID",
                                         values="_rank")
    wide = wide.reindex(codes)
    wide.columns.name = None
    return wide.astype(float)


def _pool_text(pool: tuple[str, ...], types: pd.Series) -> str:
    counts = types.value_counts()
    return " + ".join(f"{int(counts[t])} {t}" for t in pool if t in counts.index)


def _inferred_cut_points(published: pd.DataFrame, types: pd.Series, meth: Methodology
                         ) -> tuple[dict[str, InferredCutPoints], dict[str, InferredCutPoints]]:
    """Cut-points per national pool (from OF5002 / OF5003), and per domain (OF40xx / OF41xx)."""
    cuts: dict[str, InferredCutPoints] = {}
    for pool in meth.national_pools:
        members = types.isin(pool)
        if not members.any():
            continue
        found = infer_cut_points(published.loc[members, "average_score"],
                                 published.loc[members, "unadjusted_segment"],
                                 best=meth.best_score, worst=meth.worst_score)
        if found is not None:
            cuts[" + ".join(pool)] = found
    domains: dict[str, InferredCutPoints] = {}
    if len(cuts) == 1:  # one pool of trusts (domain segments are not published for ICBs)
        for domain, score_id in DOMAIN_SCORE_IDS.items():
            segment_id = DOMAIN_SEGMENT_IDS[domain]
            if score_id in published.columns and segment_id in published.columns:
                try:
                    found = infer_cut_points(published[score_id], published[segment_id],
                                             best=meth.best_score, worst=meth.worst_score,
                                             what=f"{domain} domain score")
                except InputError:
                    found = None  # not cut by thresholds: leave the domain to quartiles
                if found is not None:
                    domains[domain] = found
    return cuts, domains


#: Step between raw values tied at the printed precision but ranked apart by NHS England
#: (far below any printed precision, so every value still rounds to what was printed).
_TIE_STEP = 1e-7


def _order_ties_by_rank(wide: pd.DataFrame, ranks: pd.DataFrame, cat: Catalogue,
                        types: pd.Series, meth: Methodology) -> tuple[pd.DataFrame, list[str]]:
    """Raw mode: values tied at the printed precision that NHS England ranked apart (its Rank
    column orders the unrounded values) are set apart by a step far below the printed
    precision, in Rank order, so they score as NHS England scored them."""
    wide = wide.copy()
    moved: list[str] = []
    for metric in cat:
        raw_id = metric.value_id
        if metric.scoring != "ranked" or raw_id not in wide.columns or raw_id not in ranks:
            continue
        for org_type in dict.fromkeys(types):
            who = wide.index[(types == org_type).to_numpy() & wide[raw_id].notna().to_numpy()
                             & ranks[raw_id].notna().to_numpy()]
            if len(who) < 2:
                continue
            value, rank = wide.loc[who, raw_id], ranks.loc[who, raw_id]
            better = value if metric.higher_is_better else -value
            # the Rank must agree with every strict order of the printed values
            order = np.argsort(-better.to_numpy(), kind="stable")
            b_sorted, r_sorted = better.to_numpy()[order], rank.to_numpy()[order]
            strictly = b_sorted[:-1] > b_sorted[1:]
            if np.any(strictly & (r_sorted[:-1] >= r_sorted[1:])):
                continue  # this Rank is not an order of these values: leave them as printed
            first = rank.groupby(value).transform("min")
            step = (rank - first) * _TIE_STEP
            if (step > 0).any():
                wide.loc[who, raw_id] = value - step if metric.higher_is_better else value + step
                moved.append(raw_id)
    if not moved:
        return wide, []
    return wide, [f"{', '.join(dict.fromkeys(moved))}: values equal at the printed precision "
                  "but ranked apart by NHS England are set apart in its Rank order (by "
                  f"{_TIE_STEP:g} per place, below the printed precision)"]


def _approximate_in_raw_mode(fits: list[PeerGroupFit], cat: Catalogue, types: pd.Series,
                             meth: Methodology) -> list[str]:
    """Raw mode: ranked metrics whose peer group reaches beyond the imported files."""
    present = set(types)
    wider: dict[str, list[str]] = {}
    for fit in fits:
        if fit.wider_than_file:
            n = fit.peer_group_size
            among = f"ranked among {n}" if n else "scores fit no ranking of the file's trusts"
            wider.setdefault(fit.metric, []).append(
                f"{fit.org_type}: {among}, {fit.scored} in the file")
    for metric in cat:
        if metric.scoring != "ranked" or metric.peer_group != "national":
            continue
        missing = [t for pool in meth.national_pools if present & set(pool)
                   for t in pool if t in metric.types and t not in present]
        if missing and metric.score_id in {f.metric for f in fits}:
            wider.setdefault(metric.score_id, []).append(
                f"ranked nationally; no {', '.join(missing)} trusts imported")
    if not wider:
        return []
    listed = "; ".join(f"{m} ({', '.join(dict.fromkeys(why))})" for m, why in wider.items())
    return [f"raw scores are approximate for {len(wider)} ranked metric(s) whose peer group "
            f"holds organisations not in the imported file(s), until the other types' files "
            f"are imported too: {listed}"]


def _organisations(rows: pd.DataFrame, meth: Methodology) -> pd.DataFrame:
    """One row per trust (first row wins for names); a trust with two types is an error."""
    types = rows.groupby("Trust_code")["type"].nunique()
    if (types > 1).any():
        code = types.index[types > 1][0]
        clash = rows[rows["Trust_code"] == code].drop_duplicates("type")
        raise InputError(f"{_where(clash, clash.index[1])}: trust {code} has Trust_type "
                         f"{clash['Trust_type'].iloc[1]!r} here but "
                         f"{clash['Trust_type'].iloc[0]!r} at {_where(clash, clash.index[0])}: "
                         "a trust has one type in a quarter")
    first = rows.drop_duplicates("Trust_code")
    orgs = pd.DataFrame({"code": first["Trust_code"], "name": first["Trust_name"],
                         "type": first["type"], "region": first["Region"],
                         "subtype": first["Trust_subtype"]})
    order = {t: i for i, t in enumerate(meth.types)}
    orgs = orgs.assign(_t=orgs["type"].map(order)).sort_values(["_t", "code"], kind="stable")
    return orgs.drop(columns="_t").reset_index(drop=True)


def _flags(rows: pd.DataFrame, metric_id: str, codes: pd.Series, what: str) -> pd.Series:
    sub = rows[rows["Metric_ID"] == metric_id].set_index("Trust_code")
    out = []
    for code in codes:
        if code not in sub.index:
            out.append("")
            continue
        out.append(_flag_text(sub.at[code, "value"],
                              f"{sub.at[code, '_file']} line {sub.at[code, '_line']}", what))
    return pd.Series(out, index=codes.index, dtype=object)


def _extend_catalogue(rows: pd.DataFrame, wide: pd.DataFrame, cat: Catalogue
                      ) -> tuple[Catalogue, list[str]]:
    """Published OF1xxx scores the catalogue lacks → supplied metrics counted in the average."""
    extra: list[Metric] = []
    warnings: list[str] = []
    for col in wide.columns:
        if not col.startswith("OF1") or col in cat or wide[col].notna().sum() == 0:
            continue
        sub = rows[(rows["Metric_ID"] == col) & rows["value"].notna()]
        types = tuple(t for t in ("acute", "non-acute", "ambulance", "icb")
                      if t in set(sub["type"])) or tuple(sorted(set(sub["type"])))
        description = sub["Metric_description"].iloc[0] if "Metric_description" in sub else ""
        extra.append(Metric(score_id=col, value_id=None, name=description or col,
                            domain=sub["Domain"].iloc[0], direction="lower",
                            scoring="supplied", peer_group="type", types=types,
                            in_average=True))
        warnings.append(f"{col} ({description or 'no description'}) is not in the {cat.year} "
                        "catalogue: imported as a supplied score")
    return (cat.with_metrics(extra) if extra else cat), warnings


def _widen_types(wide: pd.DataFrame, cat: Catalogue, types: pd.Series
                 ) -> tuple[Catalogue, list[str]]:
    """A catalogue metric NHS England scored for more types than the catalogue lists applies to
    those types too (else their published average could not be reproduced)."""
    metrics, warnings = [], []
    for metric in cat:
        extra: list[str] = []
        if metric.score_id in wide.columns:
            scored = types[wide[metric.score_id].notna()]
            extra = [t for t in dict.fromkeys(scored) if t not in metric.types]
        if extra:
            metric = dataclasses.replace(metric, types=metric.types + tuple(extra))
            warnings.append(f"{metric.score_id} is scored for {', '.join(extra)} trusts in NHS "
                            f"England's file: the catalogue now applies it to them too")
        metrics.append(metric)
    return Catalogue(cat.year, tuple(metrics)), warnings


def _drop_unscored_values(wide: pd.DataFrame, cat: Catalogue) -> tuple[pd.DataFrame, list[str]]:
    """A raw value NHS England did not score (the organisation was excluded from the metric,
    while others were scored) is left out, so it is not scored here either."""
    wide = wide.copy()
    warnings = []
    for metric in cat:
        raw, score = metric.value_id, metric.score_id
        if not raw or raw not in wide.columns or score not in wide.columns:
            continue
        if not wide[score].notna().any():
            continue  # no published scores at all for this metric: nothing to go by
        excluded = wide[raw].notna() & wide[score].isna()
        if excluded.any():
            wide.loc[excluded, raw] = np.nan
            warnings.append(f"{raw}: {', '.join(wide.index[excluded])} have a value but no "
                            f"published score {score} (excluded by NHS England): left blank")
    return wide, warnings


def _engine_values(wide: pd.DataFrame, cat: Catalogue, scores: str, types: pd.Series
                   ) -> tuple[pd.DataFrame, list[str]]:
    """The columns the engine should see for the chosen ``scores`` mode."""
    keep: list[str] = []
    warnings: list[str] = []
    filled = pd.DataFrame(index=wide.index)
    for metric in cat:
        raw_id = metric.value_id if metric.value_id in wide.columns else None
        has_score = metric.score_id in wide.columns
        if raw_id:
            keep.append(raw_id)
        if not has_score:
            continue
        needs_score = (scores == "published" or metric.scoring == "supplied"
                       or (raw_id is None and metric.scoring != "combined"))
        if needs_score:
            keep.append(metric.score_id)
        elif raw_id is not None:
            # raw mode: keep a published score only where the trust has no raw value
            gap = wide[metric.score_id].notna() & wide[raw_id].isna()
            if gap.any():
                filled[metric.score_id] = wide[metric.score_id].where(gap)
                warnings.append(f"{metric.score_id}: {', '.join(wide.index[gap])} have a "
                                f"published score but no {raw_id} value: the published score "
                                "is kept for them")
    values = wide[keep].copy()
    for col in filled.columns:
        values[col] = filled[col]
    # a column with no value for the types the catalogue scores it for is left out
    by_column = cat.by_column()
    for col in list(values.columns):
        metric = by_column[col][0]
        if not values[col][types.isin(metric.types)].notna().any():
            if values[col].notna().any():
                warnings.append(f"{col} has values only for trust types the {cat.year} "
                                f"catalogue does not score it for ({', '.join(metric.types)} "
                                "only): left out")
            values = values.drop(columns=col)
    return values.astype(float), warnings


def _published(rows: pd.DataFrame, wide: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=wide.index)
    for metric_id, column in PUBLISHED_SUMMARY.items():
        out[column] = wide[metric_id] if metric_id in wide.columns else np.nan
    if "Rank" in rows.columns:
        ranked = rows[rows["Metric_ID"] == "OF5000"]
        ranks = _numbers(ranked, "Rank", "the published league position")
        out["position"] = ranks.set_axis(ranked["Trust_code"]).reindex(wide.index)
    else:
        out["position"] = np.nan
    for col in ("unadjusted_segment", "financial_override", "segment", "final_segment",
                "in_rsp", "position"):
        out[col] = out[col].round().astype("Int64")
    domain = sorted(c for c in wide.columns if re.match(r"^OF4[01]\d\d$", c))
    for col in domain:
        out[col] = wide[col].round().astype("Int64") if col.startswith("OF41") else wide[col]
    return out


def read_nhse_league_table(paths: Sequence[Path | str] | Path | str,
                           quarter: str | None = None) -> pd.DataFrame:
    """NHS England's league-table CSV(s) → one row per organisation for one quarter.

    Columns: ``quarter, code, name, type`` (engine key), ``trust_type`` (as published),
    ``region, subtype, position`` (Rank), ``average_score, score_low, score_high`` (from
    "1.2 to 1.89"), ``segment``, ``in_deficit`` ("Yes"/"No"/""), ``rank_low, rank_high``
    (from "1 to 11"), sorted by type then position. Indexed by code.
    """
    meth = load_methodology()
    data = _read_all(paths, LEAGUE_TABLE_COLUMNS, "league table")
    if data.empty:
        raise InputError(f"{', '.join(sorted(set(map(str, _as_list(paths)))))}: a header but "
                         "no rows of the league table")
    data["Quarter"] = data["Quarter"].map(_canonical_quarter)
    blank_code = data["Trust_code"] == ""
    if blank_code.any():
        raise InputError(f"{_where(data, blank_code.idxmax())}: Trust_code is blank; every row "
                         "needs the trust's ODS code")
    _check_duplicates(data, ["Trust_code", "Quarter"])
    available = _quarters_in_order(data["Quarter"])
    chosen = _choose_quarter(available, quarter, "the league-table file(s)")
    rows = data[data["Quarter"] == chosen].copy()
    types = _engine_types(rows, meth)
    score_low, score_high = _ranges(rows, "Likely_range_of_average_score")
    rank_low, rank_high = _ranges(rows, "Likely_range_of_rank")
    deficit = rows["Trust_in_financial_deficit"].str.lower()
    unknown = ~deficit.isin(["yes", "no", "y", "n", ""])
    if unknown.any():
        i = unknown.idxmax()
        raise InputError(f"{_where(rows, i)}: Trust_in_financial_deficit "
                         f"{rows.at[i, 'Trust_in_financial_deficit']!r} is not Yes or No")
    out = pd.DataFrame({
        "quarter": rows["Quarter"], "code": rows["Trust_code"], "name": rows["Trust_name"],
        "type": types, "trust_type": rows["Trust_type"], "region": rows["Region"],
        "subtype": rows["Trust_subtype"],
        "position": _numbers(rows, "Rank", "league position").round().astype("Int64"),
        "average_score": _numbers(rows, "Average_score", "average metric score"),
        "score_low": score_low, "score_high": score_high,
        "segment": _numbers(rows, "Segment", "segment").round().astype("Int64"),
        "in_deficit": deficit.map({"yes": "Yes", "y": "Yes", "no": "No", "n": "No", "": ""}),
        "rank_low": rank_low.round().astype("Int64"),
        "rank_high": rank_high.round().astype("Int64"),
    })
    order = {t: i for i, t in enumerate(meth.types)}
    out = out.assign(_t=out["type"].map(order), _p=out["position"].astype(float))
    out = out.sort_values(["_t", "_p", "code"], kind="stable").drop(columns=["_t", "_p"])
    return out.set_index("code", drop=False).rename_axis(None)


def _ranges(rows: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """"1.2 to 1.89" → (1.2, 1.89); blank → NaN; anything else names the file and line."""
    low = pd.Series(np.nan, index=rows.index)
    high = pd.Series(np.nan, index=rows.index)
    for i, text in rows[column].items():
        if text.lower() in _MISSING:
            continue
        m = _RANGE.match(text)
        if not m or float(m.group(1)) > float(m.group(2)):
            raise InputError(f"{_where(rows, i)}: {column} {text!r} is not a range like "
                             "'1.2 to 1.89' (low to high)")
        low[i], high[i] = float(m.group(1)), float(m.group(2))
    return low, high
