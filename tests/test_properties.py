"""Properties that must hold for any case (hypothesis generates the cases)."""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srccrit

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw):
    n_w = draw(st.integers(2, 5))
    n_p = draw(st.integers(1, 3))
    claims = draw(st.lists(st.tuples(st.integers(0, n_w - 1), st.integers(0, n_p), st.sampled_from(["affirms", "denies", "uncertain", "v1", "v2", "v3"])),
                           min_size=2, max_size=12, unique_by=lambda t: (t[0], t[1])))
    proximities = draw(st.lists(st.sampled_from(["participant", "eyewitness", "historian", "document", "reviewer"]), min_size=n_w, max_size=n_w))
    return n_w, n_p, claims, proximities


def render(n_w, n_p, claims, proximities, extra_claims=(), extra_witnesses=(), order=None) -> str:
    lines = ["case: prop", "bibliography: refs.bib", "sources:"]
    for i in range(n_w + len(extra_witnesses)):
        lines.append(f"  s{i}: {{kind: memoir, date: {1950 + i}, available: {1960 + i}, author: w{i}}}")
    lines.append("witnesses:")
    for i in range(n_w):
        lines.append(f"  w{i}: {{name: W{i}, proximity: {proximities[i]}}}")
    for i, _ in enumerate(extra_witnesses, start=n_w):
        lines.append(f"  w{i}: {{name: W{i}, proximity: participant}}")
    lines.append("propositions:")
    for j in range(n_p):
        lines.append(f"  p{j}: {{text: P{j}}}")
    lines.append(f"  n: {{text: A number, type: number}}")
    lines.append("conclusions:")
    for j in range(n_p):
        lines.append(f"  c{j}: {{text: C{j}, rests_on: {{p{j}: true}}}}")
    lines.append("  cn: {text: CN, rests_on: {n: 10}}")
    lines.append("claims:")
    rows = []
    for k, (w, p, s) in enumerate(list(claims) + list(extra_claims)):
        if p == n_p or s.startswith("v"):
            value = {"v1": "10", "v2": "10±3", "v3": "20"}.get(s, "10")
            rows.append(f"  - {{id: k{k}, witness: w{w}, source: s{w}, proposition: n, value: '{value}'}}")
        else:
            rows.append(f"  - {{id: k{k}, witness: w{w}, source: s{w}, proposition: p{p}, stance: {s}}}")
    if order is not None:
        rows = [rows[i] for i in order]
    lines += rows
    return "\n".join(lines) + "\n"


def load(text: str, n_sources: int):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bib = "\n".join(f"@misc{{s{i}, title = {{S{i}}}, year = {{{1950 + i}}}}}" for i in range(n_sources))
        (folder / "refs.bib").write_text(bib, encoding="utf-8")
        (folder / "case.yaml").write_text(text, encoding="utf-8")
        return srccrit.load_case(folder)


def results(case, fragility=True):
    rel = srccrit.reliability(case)["reliability"].sort_index()
    sup = srccrit.support(case, fragility=fragility)[["probability", "lines_for", "lines_against", "pivotal_witness"]].sort_index()
    con = srccrit.contradictions(case)
    con = sorted((r.proposition, r.position, tuple(r.claims), r.lines) for r in con.itertuples())
    return rel, sup, con


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_result(spec, rnd):
    n_w, n_p, claims, prox = spec
    order = list(range(len(claims)))
    rnd.shuffle(order)
    a = results(load(render(n_w, n_p, claims, prox), n_w))
    b = results(load(render(n_w, n_p, claims, prox, order=order), n_w))
    np.testing.assert_allclose(a[0].to_numpy(), b[0].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(a[1]["probability"].to_numpy(), b[1]["probability"].to_numpy(), atol=1e-9)
    assert a[1]["lines_for"].tolist() == b[1]["lines_for"].tolist()
    assert a[2] == b[2]


@SETTINGS
@given(cases(), st.data())
def test_repeating_a_claim_through_a_via_chain_changes_nothing(spec, data):
    n_w, n_p, claims, prox = spec
    base = load(render(n_w, n_p, claims, prox), n_w)
    w, p, s = data.draw(st.sampled_from(claims))
    relay = (w + 1) % n_w
    # the same testimony of w, read again in the relay's source, reached it via the relay
    text = render(n_w, n_p, claims, prox).rstrip("\n")
    prop = "n" if (p == n_p or s.startswith("v")) else f"p{p}"
    field = f"value: '{ {'v1': '10', 'v2': '10±3', 'v3': '20'}.get(s, '10') }'" if prop == "n" else f"stance: {s}"
    text += f"\n  - {{id: relayed, witness: w{w}, source: s{relay}, proposition: {prop}, {field}, via: [w{relay}]}}\n"
    repeated = load(text, n_w)
    a, b = results(base, fragility=False), results(repeated, fragility=False)
    np.testing.assert_allclose(a[0].to_numpy(), b[0].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(a[1]["probability"].to_numpy(), b[1]["probability"].to_numpy(), atol=1e-9)


@SETTINGS
@given(cases(), st.data())
def test_independent_corroboration_never_lowers_reliability(spec, data):
    n_w, n_p, claims, prox = spec
    stated = [c for c in claims if c[2] in ("affirms", "denies") and c[1] < n_p]
    if not stated:
        return
    w, p, s = data.draw(st.sampled_from(stated))
    # the one-coin model; the testimony model can break this (see the test below)
    base = srccrit.reliability(load(render(n_w, n_p, claims, prox), n_w), testimony=False).at[f"w{w}", "reliability"]
    # a new, independent witness agrees with w
    more = load(render(n_w, n_p, claims, prox, extra_claims=[(n_w, p, s)], extra_witnesses=["new"]), n_w + 1)
    after = srccrit.reliability(more, testimony=False).at[f"w{w}", "reliability"]
    assert after >= base - 1e-9


@pytest.mark.xfail(strict=True, reason="known defect of the testimony model (issue 14): the kind's shift, shared by every "
                   "witness of that kind, takes credit from the corroborated witness's own skill")
def test_independent_corroboration_never_lowers_reliability_in_the_testimony_model():
    """The case hypothesis found: a new participant agreeing with w0 raises the memoirs' shift
    (-0.001 -> +0.066) and lowers w0's skill by 2e-5."""
    claims = [(0, 0, "affirms"), (0, 2, "affirms"), (1, 0, "affirms"), (1, 1, "denies"), (1, 2, "affirms"), (0, 1, "denies"), (2, 1, "denies")]
    prox = ["participant", "eyewitness", "participant", "participant", "participant"]
    base = srccrit.reliability(load(render(5, 2, claims, prox), 5)).at["w0", "reliability"]
    more = load(render(5, 2, claims, prox, extra_claims=[(5, 1, "denies")], extra_witnesses=["new"]), 6)
    assert srccrit.reliability(more).at["w0", "reliability"] >= base - 1e-9


@pytest.mark.xfail(strict=True, reason="known defect of the testimony model (issue 14): a corroborating memoir on the side the "
                   "fit still takes for false lowers the memoirs' shared shift, and with it the corroborated testimony")
def test_independent_corroboration_never_lowers_the_corroborated_testimony():
    """Found by hypothesis at the testimonies' level (session 17): w2 (a participant's memoir)
    denies what w0 (a participant) and w1 (an eyewitness) affirm; a new participant's memoir
    denying it too lowers w2's testimony from one fit to the next by 0.005."""
    claims, prox = [(2, 0, "denies"), (0, 0, "affirms"), (1, 0, "affirms")], ["participant", "eyewitness", "participant"]
    before = srccrit.testimonies(load(render(3, 1, claims, prox), 3)).set_index("claim").at["k0", "reliability"]
    more = load(render(3, 1, claims, prox, extra_claims=[(3, 0, "denies")], extra_witnesses=["new"]), 4)
    after = srccrit.testimonies(more).set_index("claim").at["k0", "reliability"]
    assert after >= before - 1e-9


@SETTINGS
@given(cases())
def test_as_of_before_every_source_leaves_conclusions_at_their_prior(spec):
    n_w, n_p, claims, prox = spec
    case = load(render(n_w, n_p, claims, prox), n_w)
    s = srccrit.support(case, as_of="1959")
    np.testing.assert_allclose(s["probability"].to_numpy(), s["prior"].to_numpy())
    rel = srccrit.reliability(case, as_of="1959")
    np.testing.assert_allclose(rel["reliability"].to_numpy(), rel["prior"].to_numpy())


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 15)), min_size=1, max_size=60))
def test_interval_stabbing_by_rounds_equals_the_sweep(rows):
    """Value sides are formed by vectorised rounds with a per-proposition sweep for propositions
    with many sides: both must give the same minimal, mutually compatible sides."""
    from srccrit.analysis.evidence import _stab_groups

    prop = np.array([r[0] for r in rows])
    low = np.array([float(r[1]) for r in rows])
    high = low + np.array([float(r[2]) for r in rows])
    order = np.lexsort((low, high, prop))
    prop, low, high = prop[order], low[order], high[order]
    by_rounds = _stab_groups(prop, low, high)
    by_sweep = _stab_groups(prop, low, high, rounds=0)
    mixed = _stab_groups(prop, low, high, rounds=2)
    assert by_rounds.tolist() == by_sweep.tolist() == mixed.tolist()
    for p in set(prop.tolist()):
        for s in set(by_rounds[prop == p].tolist()):
            members = (prop == p) & (by_rounds == s)
            assert low[members].max() <= high[members].min()  # one common point: no conflict on a side


@SETTINGS
@given(st.lists(st.integers(0, 2**62), max_size=80), st.integers(0, 3))
def test_group_codes_equal_np_unique(keys, narrow):
    """Line ids, side keys and pair counts come from group_codes: it must be np.unique(return_inverse)."""
    from srccrit.analysis.evidence import group_codes

    keys = np.array(keys, dtype=np.int64) >> (narrow * 20)  # wide keys take the np.unique fallback
    codes, distinct = group_codes(keys)
    want_distinct, want_codes = np.unique(keys, return_inverse=True)
    assert distinct.tolist() == want_distinct.tolist() and codes.tolist() == want_codes.reshape(-1).tolist()


KEY = st.one_of(
    st.lists(st.integers(-3, 5), min_size=30, max_size=30),
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=30, max_size=30),
    st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, float("nan"), float("inf")]), min_size=30, max_size=30),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=30, max_size=30),
    st.lists(st.one_of(st.integers(-1000, 1000).map(float), st.just(-0.0)), min_size=30, max_size=30),  # whole numbers: the integer way
    st.lists(st.integers(-(2**60), 2**60).map(float), min_size=30, max_size=30),
)


@SETTINGS
@given(st.lists(KEY, min_size=1, max_size=4), st.integers(0, 30))
def test_lex_order_is_lexsort(keys, n):
    """Sides, labels and best options are ordered by lex_order: it must be np.lexsort, ties in row order."""
    from srccrit.analysis.evidence import lex_order

    arrays = [np.array(k[:n]) for k in keys]
    assert lex_order(*arrays).tolist() == np.lexsort(tuple(reversed(arrays))).tolist()


def test_lex_order_of_floats_spanning_the_whole_range():
    # found by hypothesis in CI: the range of these keys overflows a float
    from srccrit.analysis.evidence import lex_order

    key = np.array([0.0] * 5 + [2.7043636194195453e+294, -1.7976931348622888e+308, 0.0])
    assert lex_order(key).tolist() == np.lexsort((key,)).tolist()



@SETTINGS
@given(st.one_of(KEY, st.lists(st.integers(0, 50), max_size=200), st.lists(st.integers(0, 2**40), max_size=40),
                 st.lists(st.sampled_from([0.25, -0.0, 0.0]), max_size=40), st.integers(0, 5).map(lambda n: [0.5] * n)))
def test_factorize_is_pandas_factorize(keys):
    """The fit's classes and the EM's option pairs are numbered by factorize: it must be
    pd.factorize (first appearance order) whatever way it takes (a counted range, one value,
    pandas' hashing)."""
    from srccrit._arrays import factorize

    arr = np.array(keys)
    codes, distinct = factorize(arr)
    want_codes, want_distinct = pd.factorize(arr)
    assert codes.tolist() == want_codes.tolist()
    assert np.array_equal(distinct, np.asarray(want_distinct), equal_nan=True) and np.signbit(distinct).tolist() == np.signbit(np.asarray(want_distinct)).tolist()

@SETTINGS
@given(st.lists(st.integers(0, 2**62), max_size=60), st.sampled_from([1, 16, 33, 47, 58, 62]))
def test_radix_order_is_a_stable_argsort(keys, bits):
    """Options, pairs and propositions are grouped by radix_order, in both of its ways (one
    packed sort where key and position fit in 63 bits, radix passes where they do not)."""
    from srccrit._arrays import radix_order

    arr = np.array(keys, dtype=np.int64) & ((1 << bits) - 1)
    assert radix_order(arr, bits).tolist() == np.argsort(arr, kind="stable").tolist()
