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


#: up to this many witnesses the explorer has a check box each; above, one list in which to
#: select the witnesses to set aside (ten thousand check boxes took 15 s to build and cannot be read)
MAX_CHECKBOXES = 40


class Explorer:
    """The explorer's controls and output (see the module). ``conclusion``: the one whose evidence
    chart is shown first (default: the most telling). ``estimator``: the model fitted on the
    whole case (a notebook's), taken for the case as it is instead of a fit of its own.

    Witnesses are set aside by unticking their check box (``witness_boxes``), or, above
    :data:`MAX_CHECKBOXES` witnesses, by selecting them in one list (``set_aside``)."""

    def __init__(self, case, conclusion: str | None = None, estimator=None):
        import ipywidgets as w

        from .charts import _short_text, most_telling_conclusions

        self.case = case
        if estimator is not None:
            from .analysis.reliability import fitted_for

            fitted_for(estimator, case, None, "explore")  # another case's fit, or no fit, says so
        self._whole = estimator if estimator is not None and estimator.fitted_on_whole(case) else None
        if estimator is not None and self._whole is None:
            from .errors import SrccritError

            raise SrccritError("explore: the estimator given was not fitted on this whole case with the default parameters")
        self.baseline = support(case, fragility=False, estimator=self._whole)
        names = {wid: case.witness_name(wid) for wid in case.witnesses.index}
        order = sorted(names, key=lambda wid: (names[wid].casefold(), wid))
        self.witness_boxes: dict = {}
        self.set_aside = None
        if len(order) <= MAX_CHECKBOXES:
            self.witness_boxes = {wid: w.Checkbox(value=True, description=names[wid], indent=False,
                                                  layout=w.Layout(width="auto")) for wid in order}
            box = w.VBox(list(self.witness_boxes.values()), layout=w.Layout(max_height="14em", overflow="auto", border="1px solid #ccc",
                                                                             padding="2px 6px"))
            label = "witnesses"
        else:
            self.set_aside = box = w.SelectMultiple(options=[(names[wid], wid) for wid in order], value=(), rows=10,
                                                    layout=w.Layout(width="20em"))
            label = f"set aside ({len(order)} witnesses; Ctrl/Shift-click to select several)"
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
        if self.set_aside is not None:
            self.set_aside.observe(self._changed, names="value")
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
            w.HBox([w.VBox([w.HTML(html.escape(label)), box]), w.VBox([self.as_of, w.HBox([self.prior_witness, self.prior]), self.conclusion,
                                                               self.reset])]),
            self.status, self.output])
        self.update()

    # -------------------------------------------------------------- state
    @property
    def without(self) -> list[str]:
        """The witnesses set aside, in the order of the controls."""
        if self.set_aside is not None:
            chosen = set(self.set_aside.value)
            return [wid for _, wid in self.set_aside.options if wid in chosen]
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

        if self._whole is not None and not self.without and self.date is None and not self.priors:
            return self.case, self._whole, _compare(self.case, self._whole, None, self.baseline)  # the case as it is: no refit
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
            if getattr(self, "_prior_table", None) is None:  # the case's priors, worked out once
                self._prior_table = self._whole.prior_ if self._whole is not None else prior(self.case)
            value = float(self._prior_table.at[wid, "prior"])
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
        if self.set_aside is not None:
            self.set_aside.value = ()
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


def explore(case, conclusion: str | None = None, estimator=None) -> Explorer:
    """The what-if explorer of ``case`` (display it: the last expression of a cell).
    ``estimator``: the model already fitted on the whole case, to start from (see :class:`Explorer`)."""
    return Explorer(case, conclusion, estimator)
