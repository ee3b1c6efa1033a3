"""LabelSpreadingSelector(class_balance=...): spreading that keeps small classes.

Each option is checked against its definition applied to the closed form of
the spreading, ``(1 - alpha) * (I - alpha S)^-1 Y`` (the fixed point the
iteration reaches), on small random graphs with imbalanced labels.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ns3l.selectors import LabelSpreadingSelector
from sklearn_ns3l.selectors import _label_spreading as label_spreading_module
from sklearn_ns3l.selectors._knn_graph import connectivity, normalised_graph
from sklearn_ns3l.selectors._spreading import (
    ALIGN_TOL,
    CLASS_BALANCES,
    align_distribution,
    balanced_start,
    class_mass_normalise,
    normalise_rows,
    spread_labels,
)

ALPHA = 0.5


def _problem(seed=0, n=80, k=10):
    """A normalised kNN graph of ``n`` points, labels 8 : 3 : 2, the rest -1."""
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [rng.normal(c, 1.0, size=(m, 2)) for c, m in ((0, 50), (2, 18), (4, 12))]
    )[:n]
    y = np.repeat([0, 1, 2], [50, 18, 12])[:n]
    codes = np.full(len(X), -1)
    for c, m in ((0, 8), (1, 3), (2, 2)):
        codes[np.flatnonzero(y == c)[:m]] = c
    distances = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1)[:, : k - 1]
    S = normalised_graph(connectivity(neighbours, len(X)))
    return S, codes


def _closed_form(S, codes, start=None):
    """``(1 - alpha) (I - alpha S)^-1 Y``, ``Y`` one-hot (or ``start``)."""
    n, labelled = S.shape[0], np.flatnonzero(codes >= 0)
    Y = np.zeros((n, 3))
    Y[labelled, codes[labelled]] = 1.0 if start is None else start
    A = np.eye(n) - ALPHA * S.toarray()
    return (1 - ALPHA) * np.linalg.solve(A, Y)


def _spread(S, codes, option):
    F, _ = spread_labels(S, codes, 3, ALPHA, 5000, 1e-13, class_balance=option)
    return F


def _proportions(codes):
    counts = np.bincount(codes[codes >= 0], minlength=3)
    return counts, counts / counts.sum()


def test_plain_spreading_is_the_closed_form():
    S, codes = _problem()
    np.testing.assert_allclose(
        _spread(S, codes, None), normalise_rows(_closed_form(S, codes)), atol=1e-9
    )


def test_balanced_start_gives_every_class_the_same_labelled_mass():
    _, codes = _problem()
    counts, _ = _proportions(codes)
    labelled = codes[codes >= 0]
    start = balanced_start(labelled, counts)
    mass = np.bincount(labelled, weights=start, minlength=3)
    # Equal per class, and the one-hot start's total (so tol means the same).
    np.testing.assert_allclose(mass, len(labelled) / 3)
    S, _ = _problem()
    np.testing.assert_allclose(
        _spread(S, codes, "balanced"),
        normalise_rows(_closed_form(S, codes, start)),
        atol=1e-9,
    )
    # The iteration is linear per column: the plain one, each column / count.
    np.testing.assert_allclose(
        _spread(S, codes, "balanced"),
        normalise_rows(_spread(S, codes, None) / counts),
        atol=1e-9,
    )


def test_class_mass_normalisation_makes_column_masses_the_labelled_proportions():
    S, codes = _problem()
    counts, q = _proportions(codes)
    unlabelled = codes < 0
    raw = _closed_form(S, codes)
    scaled = class_mass_normalise(raw.copy(), unlabelled, counts)
    np.testing.assert_allclose(scaled[unlabelled].sum(axis=0), q)
    # Each column scaled by one factor: the rows keep their ratios.
    factor = scaled[unlabelled].sum(axis=0) / raw[unlabelled].sum(axis=0)
    np.testing.assert_allclose(scaled, raw * factor)
    np.testing.assert_allclose(
        _spread(S, codes, "mass"), normalise_rows(scaled), atol=1e-9
    )


def test_alignment_makes_the_unlabelled_mean_the_labelled_proportions():
    S, codes = _problem()
    _, q = _proportions(codes)
    plain, aligned = _spread(S, codes, None), _spread(S, codes, "align")
    unlabelled = codes < 0
    np.testing.assert_allclose(aligned[unlabelled].mean(axis=0), q, atol=ALIGN_TOL)
    assert not np.allclose(plain[unlabelled].mean(axis=0), q, atol=1e-2)
    np.testing.assert_allclose(aligned.sum(axis=1), 1)
    # Columns rescaled, rows renormalised: aligned = row * plain * column.
    ratio = aligned / plain
    np.testing.assert_allclose(
        ratio / ratio[:, :1], np.repeat(ratio[:1] / ratio[0, 0], len(ratio), 0)
    )


def test_alignment_leaves_unreached_rows_and_classes_alone():
    F = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.9, 0.1, 0.0]])
    out = align_distribution(F.copy(), np.ones(3, bool), np.array([1, 1, 2]))
    assert (out[1] == 0).all() and (out[:, 2] == 0).all()
    np.testing.assert_allclose(out[[0, 2]].mean(axis=0)[:2], [0.5, 0.5])


def test_every_option_lifts_the_smallest_class_over_the_plain_spreading():
    S, codes = _problem()
    unlabelled = codes < 0
    plain = _spread(S, codes, None)[unlabelled].mean(axis=0)
    for option in CLASS_BALANCES[1:]:
        balanced = _spread(S, codes, option)[unlabelled].mean(axis=0)
        assert balanced[2] > plain[2], option


@pytest.mark.parametrize("option", CLASS_BALANCES)
def test_calibration_spreads_with_the_same_option(monkeypatch, option):
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs["class_balance"])
        return spread_labels(*args, **kwargs)

    monkeypatch.setattr(label_spreading_module, "spread_labels", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.full(90, -1)
    y[:30] = np.repeat([0, 1, 2], [20, 5, 5])
    selector = LabelSpreadingSelector(class_balance=option, n_folds=5)
    selector.fit(X, y)
    assert seen == [option] * (selector.n_folds_ + 1)
    assert selector.n_folds_ == 5


def test_unknown_option_is_refused():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.full(20, -1)
    y[:6] = [0, 1, 0, 1, 0, 1]
    with pytest.raises(InvalidParameterError, match="class_balance"):
        LabelSpreadingSelector(class_balance="prior").fit(X, y)
    labelled, pool = np.arange(6), np.arange(6, 20)
    with pytest.raises(InvalidParameterError, match="class_balance"):
        LabelSpreadingSelector(class_balance="prior").pool_negatives(
            X, labelled, y[labelled], pool
        )
    with pytest.raises(ValueError, match="class_balance"):
        spread_labels(sp.eye(20, format="csr"), y, 2, 0.2, 30, 1e-3, class_balance=1)


def test_the_option_reaches_the_pool_inside_the_classifier():
    from sklearn_ns3l import NS3LClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    X[60:] += 2.0
    y = np.full(120, -1)
    y[:30], y[60:66] = 0, 1
    masks = {}
    for option in (None, "balanced"):
        selector = LabelSpreadingSelector(
            # per_class=False: at a fixed T the imbalanced rare class would
            # be left unmarked, and there would be nothing to compare.
            class_balance=option,
            wrong_negative_rate=None,
            T=0.3,
            per_class=False,
        )
        clf = NS3LClassifier(selector, max_epochs=1, precision="float32")
        masks[option] = clf.fit(X, y).pool_negatives_
        assert clf.selector_.class_balance == option
    # The rare class (6 labels against 30) is marked negative less often.
    assert masks[None][:, 1].any()
    assert masks["balanced"][:, 1].sum() < masks[None][:, 1].sum()
