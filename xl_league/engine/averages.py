"""Step 2 — average metric score, metrics scored, and domain scores.

Average metric score = plain mean of the organisation's scores over metrics that count in the
average (each once, no weights). Domain score = the same mean within one domain. Lower is
better. An organisation with fewer than ``minimum_metrics`` scores has no average.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import pandas as pd

from .catalogue import DOMAINS, Catalogue

__all__ = ["round_half_up", "average_metric_scores", "domain_scores"]


def round_half_up(x: ArrayLike, decimals: int = 2) -> Any:
    """Round like Excel's ROUND (halves away from zero), robust to binary noise (2.345 → 2.35)."""
    arr = np.asarray(x, dtype=float)
    factor = 10.0 ** decimals
    out = np.sign(arr) * np.floor(np.abs(arr) * factor + 0.5 + 1e-9) / factor
    return out if out.ndim else float(out)


def average_metric_scores(scores: pd.DataFrame, catalogue: Catalogue,
                          minimum_metrics: int = 1) -> pd.DataFrame:
    """Columns ``average_score_unrounded`` and ``metrics_scored`` per organisation."""
    counted = [m.score_id for m in catalogue if m.in_average and m.score_id in scores.columns]
    block = scores[counted].to_numpy(dtype=float)
    n = np.count_nonzero(~np.isnan(block), axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.where(n > 0, np.nansum(block, axis=1) / np.maximum(n, 1), np.nan)
    mean = np.where(n >= minimum_metrics, mean, np.nan)
    return pd.DataFrame({"average_score_unrounded": mean, "metrics_scored": n},
                        index=scores.index)


def domain_scores(scores: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Mean score per domain (columns in the NHS's domain order; NaN where none scored)."""
    out = {}
    for domain in DOMAINS:
        ids = [m.score_id for m in catalogue
               if m.in_average and m.domain == domain and m.score_id in scores.columns]
        if not ids:
            continue
        block = scores[ids].to_numpy(dtype=float)
        n = np.count_nonzero(~np.isnan(block), axis=1)
        out[domain] = np.where(n > 0, np.nansum(block, axis=1) / np.maximum(n, 1), np.nan)
    return pd.DataFrame(out, index=scores.index)
