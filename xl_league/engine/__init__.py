"""The NOF engine: pure functions over pandas/numpy, no I/O.

One module per step of the method::

    catalogue.py      the metric catalogue (data: xl_league/data/metrics-YYYY-YY.csv)
    methodology.py    the year's rules (data: xl_league/data/nof-YYYY-YY.toml)
    inputs.py         checking what the engine is given
    scoring.py        step 1  metric scores 1–4
    averages.py       step 2  average metric score, domain scores
    segments.py       step 3  cut-points and segments 1–4
    override.py       steps 4–5  financial override, segment 5
    league.py         step 6  league positions, distance to the next segment
    likely_ranges.py  step 7  bootstrap likely ranges of score and position
    significance.py           quarter-on-quarter significance of a change (compare, history)
    pipeline.py       compute_league_tables(): all steps in order
"""

from .catalogue import Catalogue, Metric, catalogue_from_rows, load_catalogue
from .inputs import normalise_type, parse_flag
from .methodology import Methodology, load_methodology
from .pipeline import LEAGUE_COLUMNS, LEAGUE_CSV_COLUMNS, LeagueTables, compute_league_tables

__all__ = ["Catalogue", "Metric", "Methodology", "LeagueTables", "compute_league_tables",
           "load_catalogue", "load_methodology", "catalogue_from_rows", "normalise_type",
           "parse_flag", "LEAGUE_COLUMNS", "LEAGUE_CSV_COLUMNS"]
