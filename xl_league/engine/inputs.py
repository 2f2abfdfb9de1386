"""Checking and normalising what the engine is given (organisations and metric values).

Problems raise :class:`~xl_league.errors.InputError` naming the organisation and/or metric,
the value and what was expected; nothing partial is returned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocabulary import yes_no
from ..errors import InputError
from .catalogue import Catalogue
from .methodology import Methodology

__all__ = ["normalise_type", "check_organisations", "check_values", "TYPE_ALIASES", "parse_flag"]

TYPE_ALIASES = {
    "acute": "acute", "acute trust": "acute", "acute trusts": "acute",
    "non-acute": "non-acute", "non acute": "non-acute", "nonacute": "non-acute",
    "non-acute hospital trust": "non-acute", "non-acute trust": "non-acute",
    "mental health and community trust": "non-acute", "mental health and community": "non-acute",
    "mental health and community trusts": "non-acute",
    "ambulance": "ambulance", "ambulance trust": "ambulance", "ambulance trusts": "ambulance",
    "icb": "icb", "integrated care board": "icb", "integrated care boards": "icb",
}


def normalise_type(value: object) -> str | None:
    """'Acute trust', 'Mental health and community trust', 'ICB', ... → the type key, or None."""
    if value is None:
        return None
    return TYPE_ALIASES.get(str(value).strip().lower())


def parse_flag(value: object) -> bool | None:
    """Yes/No (and True/False, 1/0) → bool; blank → None; anything else raises ValueError."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return yes_no(value)


def check_organisations(organisations: pd.DataFrame, meth: Methodology) -> pd.DataFrame:
    """A clean copy indexed by code with columns name, type, region, subtype, in_deficit, in_rsp."""
    orgs = organisations.copy()
    if len(orgs) == 0:
        raise InputError("no organisations were given: add at least one row of inputs")
    if "code" in orgs.columns:
        orgs = orgs.set_index("code")
    orgs.index = orgs.index.map(lambda c: "" if c is None or (isinstance(c, float) and np.isnan(c))
                                else str(c).strip())
    orgs.index.name = "code"
    if (orgs.index == "").any():
        raise InputError("an organisation has a blank code: every organisation needs its ODS code")
    dup = orgs.index[orgs.index.duplicated()].unique().tolist()
    if dup:
        raise InputError(f"organisation code {dup[0]} appears more than once: each code once only",
                         organisation=dup[0])
    if "type" not in orgs.columns:
        raise InputError("organisations need a 'type' column (acute, non-acute, ambulance, icb)")
    types = []
    for code, t in orgs["type"].items():
        key = normalise_type(t)
        if key is None or key not in meth.types:
            raise InputError(f"organisation {code}: type {t!r} is not one of "
                             f"{', '.join(meth.types)}", organisation=code)
        types.append(key)
    orgs["type"] = types
    for col in ("name", "region", "subtype"):
        if col not in orgs.columns:
            orgs[col] = ""
        orgs[col] = orgs[col].fillna("").astype(str)
    for col in ("in_deficit", "in_rsp"):
        if col not in orgs.columns:
            orgs[col] = None
        parsed = []
        for code, v in orgs[col].items():
            try:
                parsed.append(parse_flag(v))
            except ValueError:
                raise InputError(f"organisation {code}: {col} {v!r} is not Yes or No (or blank)",
                                 organisation=code) from None
        orgs[col] = pd.array(parsed, dtype="boolean")
    orgs["in_rsp"] = orgs["in_rsp"].fillna(False)
    return orgs[["name", "type", "region", "subtype", "in_deficit", "in_rsp"]]


def check_values(values: pd.DataFrame, orgs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Numeric values indexed like ``orgs``; unknown metrics, text and empty metrics raise."""
    vals = values.copy()
    if "code" in vals.columns:
        vals = vals.set_index("code")
    vals.index = vals.index.map(lambda c: "" if c is None or (isinstance(c, float) and np.isnan(c))
                                else str(c).strip())
    if (vals.index == "").any():
        raise InputError("a row of metric values has a blank code: every row needs the "
                         "organisation's ODS code")
    dup = vals.index[vals.index.duplicated()].unique().tolist()
    if dup:
        raise InputError(f"organisation code {dup[0]} has more than one row of metric values",
                         organisation=dup[0])
    unknown_orgs = [c for c in vals.index if c not in orgs.index]
    if unknown_orgs:
        raise InputError(f"metric values are given for {unknown_orgs[0]}, which is not in the "
                         "organisations", organisation=unknown_orgs[0])
    dup_cols = vals.columns[vals.columns.duplicated()].unique().tolist()
    if dup_cols:
        raise InputError(f"metric {dup_cols[0]} has more than one column of values: keep one",
                         metric=str(dup_cols[0]))
    known = catalogue.by_column()
    for col in vals.columns:
        if col not in known:
            raise InputError(f"metric {col!r} is not in the {catalogue.year} catalogue: use one "
                             "of its IDs (e.g. OF0023 for a value, OF1023 for a score) or add "
                             "the metric to the catalogue", metric=str(col))
    out = pd.DataFrame(index=orgs.index)
    for col in vals.columns:
        given = vals[col].map(lambda x: np.nan if isinstance(x, str) and not x.strip() else x)
        numeric = pd.to_numeric(given, errors="coerce")
        bad = numeric.isna() & given.notna()
        if bad.any():
            code = bad[bad].index[0]
            raise InputError(f"organisation {code}, metric {col}: {vals.at[code, col]!r} is not "
                             "a number", organisation=code, metric=str(col))
        numeric = numeric.astype(float).reindex(orgs.index)
        if not np.isfinite(numeric.dropna()).all():
            code = numeric[~np.isfinite(numeric) & numeric.notna()].index[0]
            raise InputError(f"organisation {code}, metric {col}: {numeric[code]} is not a "
                             "finite number", organisation=code, metric=str(col))
        metric, kind = known[col]
        applies = orgs["type"].isin(metric.types)
        if numeric[applies].notna().sum() == 0:
            raise InputError(f"metric {col} has no value for any organisation it applies to "
                             f"({', '.join(metric.types)}): fill it in or leave the column out",
                             metric=str(col))
        if kind == "score":
            s = numeric.dropna()
            off = s[(s < 1) | (s > 4)]
            if len(off):
                code = off.index[0]
                raise InputError(f"organisation {code}, metric {col}: score {off.iloc[0]} is "
                                 "outside 1 to 4", organisation=code, metric=str(col))
        out[col] = numeric
    return out
