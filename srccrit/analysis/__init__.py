"""Analyses: plain functions and estimators that take a Case and return pandas DataFrames."""

from .contradictions import contradictions, contradictions_records, lines, undeclared_dependence
from .evidence import positions
from .copying import COPYING_COLUMNS
from .reliability import PRIOR_TABLE, Reliability, copying, prior, propositions, reliability, testimonies
from .support import VERDICTS, evidence_for, support, timeline, verdict
from .conclusion_evidence import ConclusionEvidence, conclusion_evidence
from .what_if import what_if

__all__ = [
    "contradictions", "contradictions_records", "lines", "undeclared_dependence", "positions",
    "Reliability", "PRIOR_TABLE", "prior", "reliability", "propositions", "testimonies", "copying", "COPYING_COLUMNS",
    "support", "timeline", "verdict", "VERDICTS", "evidence_for", "conclusion_evidence", "ConclusionEvidence", "what_if",
]
