"""srccrit: source criticism and citation analysis.

Load a case, find contradictory testimony, estimate how far each witness can be trusted, and
tell which independent lines of evidence support each conclusion.

>>> import srccrit
>>> case = srccrit.load_case()            # the bundled Sino-Soviet/Korea case
>>> srccrit.contradictions(case)          # doctest: +SKIP
"""

from .errors import CaseError, OutputError, Problem, SrccritError, SrccritWarning, UsageError
from .io.case_file import load_and_fit, load_case
from .model import Case, UnknownName
from .io.display import readable
from .analysis import (
    Reliability,
    contradictions,
    copying,
    conclusion_evidence,
    evidence_for,
    lines,
    positions,
    propositions,
    reliability,
    support,
    testimonies,
    timeline,
    undeclared_dependence,
    what_if,
)
from .explore import explore
from .normalisers import register_value_type, value_types

__all__ = [
    "load_case",
    "load_and_fit",
    "Case",
    "CaseError",
    "Problem",
    "SrccritError",
    "SrccritWarning",
    "OutputError",
    "UsageError",
    "UnknownName",
    "contradictions",
    "lines",
    "undeclared_dependence",
    "copying",
    "positions",
    "Reliability",
    "reliability",
    "testimonies",
    "propositions",
    "support",
    "timeline",
    "evidence_for",
    "conclusion_evidence",
    "readable",
    "what_if",
    "explore",
    "register_value_type",
    "value_types",
]

__version__ = "0.1.0"
