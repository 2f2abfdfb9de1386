"""The fictional trusts of the demo: names, ODS-like codes, regions and subtypes.

Place names are made up from two word parts ("Thorn" + "mere" = "Thornmere"), with a short
list of combinations that are real towns in NHS trust names left out, and composed into
trust names the way NHS trusts are named ("Thornmere and Kesby Hospitals NHS Foundation
Trust"). Codes are three characters starting with ``Z`` (``ZA1``…): NHS trust codes start
with R or T, so a demo code can never be mistaken for a real trust. Regions are NHS England's
seven; counts per region and subtype are close to the real 2025/26 ones.

The organisations do not depend on the dataset's seed: a different seed is a different quarter
for the same fictional trusts.
"""

from __future__ import annotations

import string
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["demo_organisations", "TYPE_COUNTS", "REGIONS", "CODE_PREFIX"]

CODE_PREFIX = "Z"
_NAMES_SEED = 20250930  # fixed: the same fictional trusts whatever the dataset's seed

REGIONS = ("North East and Yorkshire", "North West", "Midlands", "East", "London",
           "South East", "South West")
#: trusts per region, by type (sums: 134, 61, 10)
_REGION_COUNTS = {
    "acute": (23, 19, 23, 17, 18, 19, 15),
    "non-acute": (9, 7, 15, 7, 10, 8, 5),
    "ambulance": (2, 1, 2, 1, 1, 2, 1),
}
#: trusts per subtype, by type
_SUBTYPE_COUNTS = {
    "acute": {"Acute - Teaching": 38, "Acute - Large": 36, "Acute - Medium": 26,
              "Acute - Small": 20, "Acute - Specialist": 14},
    "non-acute": {"Mental Health and Learning Disability": 45, "Community": 13,
                  "Care Trust": 3},
    "ambulance": {"Ambulance": 10},
}
TYPE_COUNTS = {t: sum(c.values()) for t, c in _SUBTYPE_COUNTS.items()}

_FIRST = ("Ald", "Ash", "Bram", "Brack", "Cal", "Carn", "Cran", "Dun", "Elm", "Fern", "Gil",
          "Hart", "Haw", "Hol", "Kes", "Lang", "Lyn", "Mar", "Mel", "North", "Oak", "Pen",
          "Quen", "Rav", "Rook", "Sel", "South", "Thorn", "Wen", "Wyn", "Tam", "Bel", "Cor",
          "Fal", "Hen", "Ket", "Lox", "Stan")
_SECOND = ("by", "combe", "dale", "den", "field", "ford", "hurst", "leigh", "ley", "mere",
           "moor", "stead", "thorpe", "ton", "wick", "worth")
# combinations that are real towns or hospitals named in NHS trusts (or too close to one)
_REAL = {"Ashford", "Ashton", "Ashley", "Northwick", "Tamworth", "Corby", "Gilford", "Melton",
         "Selby", "Hartford", "Marden", "Langley", "Cranleigh", "Southwick", "Hawley",
         "Thornton", "Langford", "Stanley", "Stanton", "Stanford", "Oakley", "Hartley",
         "Marley", "Kettering", "Belford", "Henley", "Bramley", "Dunstead", "Penley",
         "Carnforth", "Fernley", "Marton", "Lynton", "Calton", "Holton", "Wenley", "Stanmore",
         "Northfield", "Southfield", "Elmfield", "Oakford", "Walton", "Thornby", "Holby",
         "Ashstead", "Calford"}

_TEMPLATES = {
    "Acute - Teaching": ("{a} Teaching Hospitals NHS Foundation Trust",
                         "University Hospitals of {a} NHS Trust",
                         "{a} and {b} University Hospitals NHS Foundation Trust",
                         "{a} University Teaching Hospitals NHS Trust"),
    "Acute - Large": ("{a} and {b} Hospitals NHS Foundation Trust", "{a} Hospitals NHS Trust",
                      "{a} General Hospitals NHS Foundation Trust"),
    "Acute - Medium": ("{a} Hospital NHS Foundation Trust", "{a} and District Hospital NHS Trust",
                       "{a} and {b} Hospitals NHS Trust"),
    "Acute - Small": ("{a} Valley Hospital NHS Foundation Trust", "{a} Hospital NHS Trust",
                      "{a} and District General Hospital NHS Foundation Trust"),
    "Acute - Specialist": ("{a} Children's Hospital NHS Foundation Trust",
                           "{a} Heart and Lung Hospital NHS Foundation Trust",
                           "Royal {a} Orthopaedic Hospital NHS Foundation Trust",
                           "{a} Eye Hospital NHS Foundation Trust",
                           "{a} Cancer Centre NHS Foundation Trust",
                           "{a} Women's Hospital NHS Foundation Trust",
                           "{a} Neurosciences Centre NHS Foundation Trust"),
    "Mental Health and Learning Disability": (
        "{a} Partnership NHS Foundation Trust", "{a} and {b} Mental Health NHS Foundation Trust",
        "{a} Mental Health Partnership NHS Trust", "{a} Healthcare NHS Foundation Trust"),
    "Community": ("{a} Community Healthcare NHS Trust", "{a} Community Health Services NHS Trust",
                  "{a} and {b} Community NHS Foundation Trust"),
    "Care Trust": ("{a} Health and Care NHS Trust", "{a} Care NHS Foundation Trust"),
    "Ambulance": ("{a} and {b} Ambulance Service NHS Trust",
                  "{a} Ambulance Service NHS Foundation Trust"),
}


def _places(rng: np.random.Generator) -> list[str]:
    names = [f + s for f in _FIRST for s in _SECOND
             if f[-1] != s[0] and f[-2:] != s[:2]  # no "Elmmere", no "Norththorpe"
             and f + s not in _REAL]
    return [names[i] for i in rng.permutation(len(names))]


def _codes(n: int) -> list[str]:
    """ZA1, ZA2, … ZA9, ZB1, …: three characters, letters without I and O."""
    letters = [c for c in string.ascii_uppercase if c not in "IO"]
    codes = [f"{CODE_PREFIX}{letter}{digit}" for letter in letters for digit in range(1, 10)]
    if n > len(codes):
        raise ValueError(f"only {len(codes)} demo codes available, {n} asked for")
    return codes[:n]


@lru_cache(maxsize=1)
def _organisations() -> pd.DataFrame:
    rng = np.random.default_rng(_NAMES_SEED)
    places = iter(_places(rng))
    rows = []
    for org_type, subtypes in _SUBTYPE_COUNTS.items():
        regions = np.repeat(REGIONS, _REGION_COUNTS[org_type])
        regions = regions[rng.permutation(len(regions))]
        kinds = [s for s, k in subtypes.items() for _ in range(k)]
        for subtype, region in zip(kinds, regions):
            templates = _TEMPLATES[subtype]
            template = templates[int(rng.integers(len(templates)))]
            name = template.format(a=next(places), b=next(places) if "{b}" in template else "")
            rows.append({"name": name, "type": org_type, "region": str(region),
                         "subtype": subtype})
    orgs = pd.DataFrame(rows)
    # codes in a shuffled order, so a code says nothing about the trust's subtype
    order = rng.permutation(len(orgs))
    orgs = orgs.iloc[order].reset_index(drop=True)
    type_order = {t: i for i, t in enumerate(_SUBTYPE_COUNTS)}
    orgs = orgs.sort_values("type", key=lambda s: s.map(type_order), kind="stable")
    orgs.insert(0, "code", _codes(len(orgs)))
    return orgs.reset_index(drop=True)


def demo_organisations() -> pd.DataFrame:
    """205 fictional trusts: columns code, name, type, region, subtype (sorted by type, code)."""
    return _organisations().copy()
