"""A what-if explorer for Jupyter: ``srccrit.explore(case)``.

Tick witnesses off, move the as-of date, change a witness's prior: every conclusion's
probability and verdict are re-estimated (the whole model refitted: :func:`srccrit.what_if`)
and shown beside the unchanged case's, with the evidence chart of the conclusion chosen.

Built with ipywidgets. In a live notebook it is a widget; saved or exported to HTML (where no
kernel answers the controls) it shows a static note instead: executed notebooks keep only that
note, so they stay byte-identical and never show a broken widget.
"""

from __future__ import annotations

import html
import io

import matplotlib.pyplot as plt

from .analysis.support import support
from .analysis.what_if import what_if
from .io.display import readable

__all__ = ["explore", "Explorer"]

STATIC_NOTE = ("<p><em>The what-if explorer (tick witnesses off, move the as-of date, change a witness's prior) needs a running "
               "Python kernel: open this notebook in Jupyter and run this cell.</em></p>")
ALL_SOURCES = "all sources"


class Explorer:
    """The explorer's controls and output (see the module). ``conclusion``: the one whose evidence
    chart is shown first (default: the most telling)."""

    def __init__(self, case, conclusion: str | None = None):
        import ipywidgets as w

        from .charts import _short_text, most_telling_conclusions

        self.case = case
        self.baseline = support(case, fragility=False)
        names = {wid: case.witness_name(wid) for wid in case.witnesses.index}
        order = sorted(names, key=lambda wid: (names[wid].casefold(), wid))
        self.witness_boxes = {wid: w.Checkbox(value=True, description=names[wid], indent=False,
                                              layout=w.Layout(width="auto")) for wid in order}
        box = w.VBox(list(self.witness_boxes.values()), layout=w.Layout(max_height="14em", overflow="auto", border="1px solid #ccc",
                                                                         padding="2px 6px"))
        src = case.sources[case.sources["available_end"].notna()].sort_values("available_end", kind="mergesort")
        labels = []
        for end, label in zip(src["available_end"], src["available"].where(src["available"].notna(), src["date"])):
            text = f"{pd_date(end)}"
            if text not in labels:
                labels.append(text)
        self.as_of = w.SelectionSlider(options=[*labels, ALL_SOURCES], value=ALL_SOURCES, description="as of",
                                       continuous_update=False, layout=w.Layout(width="32em"))
        self.prior_witness = w.Dropdown(options=[(names[wid], wid) for wid in order], description="prior of")
        self.prior = w.FloatSlider(value=0.5, min=0.05, max=0.95, step=0.05, description="prior", continuous_update=False)
        self.priors: dict[str, float] = {}
        self.reset = w.Button(description="reset all")
        conclusions = list(case.conclusions.index)
        first = conclusion if conclusion in conclusions else (most_telling_conclusions(case, self.baseline) or [None])[0]
        self.conclusion = w.Dropdown(options=[(_short_text(case.conclusions.at[c, "text"], 70), c) for c in conclusions], value=first,
                                     description="evidence of", layout=w.Layout(width="40em"))
        self.status = w.HTML()
        self.output = w.Output()
        for cb in self.witness_boxes.values():
            cb.observe(self._changed, names="value")
        self.as_of.observe(self._changed, names="value")
        self.conclusion.observe(self._changed, names="value")
        self.prior_witness.observe(self._show_prior, names="value")
        self.prior.observe(self._set_prior, names="value")
        self.reset.on_click(self._reset)
        self._quiet = False
        self._show_prior()
        self.widget = w.VBox([
            w.HTML("<strong>What if…</strong> untick a witness to set his claims aside; move the date to see the case as it stood; "
                   "change a witness's prior. Every conclusion is re-estimated."),
            w.HBox([w.VBox([w.HTML("witnesses"), box]), w.VBox([self.as_of, w.HBox([self.prior_witness, self.prior]), self.conclusion,
                                                               self.reset])]),
            self.status, self.output])
        self.update()

    # -------------------------------------------------------------- state
    @property
    def without(self) -> list[str]:
        return [wid for wid, cb in self.witness_boxes.items() if not cb.value]

    @property
    def date(self) -> str | None:
        return None if self.as_of.value == ALL_SOURCES else self.as_of.value

    def table(self):
        """The conclusions under the current settings (:func:`srccrit.what_if`)."""
        return what_if(self.case, without=self.without, as_of=self.date, priors=self.priors, baseline=self.baseline)

    def _estimated(self):
        """The case under the current settings and the model fitted on it, with its table."""
        from .analysis.what_if import _compare, _estimate

        work, est = _estimate(self.case, self.without, self.date, self.priors)
        return work, est, _compare(work, est, self.date, self.baseline)

    # -------------------------------------------------------------- events
    def _changed(self, _change=None) -> None:
        if not self._quiet:
            self.update()

    def _show_prior(self, _change=None) -> None:
        from .analysis.reliability import prior

        wid = self.prior_witness.value
        value = self.priors.get(wid)
        if value is None:
            value = float(prior(self.case).at[wid, "prior"])
        self._quiet = True
        self.prior.value = round(value, 2)
        self._quiet = False

    def _set_prior(self, change) -> None:
        if self._quiet:
            return
        self.priors[self.prior_witness.value] = float(change["new"])
        self.update()

    def _reset(self, _button=None) -> None:
        self._quiet = True
        for cb in self.witness_boxes.values():
            cb.value = True
        self.as_of.value = ALL_SOURCES
        self.priors = {}
        self._quiet = False
        self._show_prior()
        self.update()

    def update(self) -> None:
        """Re-estimate and redraw."""
        from . import charts

        parts = []
        if self.without:
            parts.append("without " + ", ".join(self.case.witness_name(wid) for wid in self.without))
        if self.date:
            parts.append(f"sources available by {self.date}")
        if self.priors:
            parts.append("priors " + ", ".join(f"{self.case.witness_name(wid)} {p:.2f}" for wid, p in sorted(self.priors.items())))
        self.status.value = f"<p>{html.escape('; '.join(parts) if parts else 'the case as it is')}</p>"
        work, est, table = self._estimated()  # one fit serves the table and the chart
        self.last_table = table
        self.output.clear_output(wait=True)
        with self.output:
            from IPython.display import display

            display(readable(table, self.case, caption="Conclusions: now, and in the case as it is (baseline)"))
            if self.conclusion.value is not None:
                fig = charts.evidence_chart(work, self.conclusion.value, est)
                # as PNG bytes: shown whatever matplotlib backend the kernel has
                buffer = io.BytesIO()
                fig.savefig(buffer, format="png", dpi=100)
                plt.close(fig)
                from IPython.display import Image

                display(Image(data=buffer.getvalue(), format="png"))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["text/html"] = STATIC_NOTE
        data["text/plain"] = "srccrit what-if explorer (needs a running kernel)"
        return data


def pd_date(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).date().isoformat()


def explore(case, conclusion: str | None = None) -> Explorer:
    """The what-if explorer of ``case`` (display it: the last expression of a cell)."""
    return Explorer(case, conclusion)
