"""Scoring that leaves unlabelled rows out."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklearn_ns3l import (
    NS3LClassifier,
    labelled_accuracy_score,
    labelled_accuracy_scorer,
)
from sklearn_ns3l._scoring import unlabelled_mask
from sklearn_ns3l.datasets import hide_labels


def test_unlabelled_rows_do_not_count():
    assert labelled_accuracy_score([0, 1, -1, -1], [0, 0, 1, 1]) == 0.5
    assert labelled_accuracy_score([2, -1], [2, 5]) == 1.0


def test_no_labelled_row_scores_nan():
    assert np.isnan(labelled_accuracy_score([-1, -1], [0, 1]))


def test_sample_weight_applies_to_labelled_rows():
    score = labelled_accuracy_score([0, 1, -1], [0, 0, 0], sample_weight=[3, 1, 100])
    assert score == pytest.approx(0.75)


def test_minus_one_is_found_as_a_number_and_as_the_string_minus_one():
    # The full rule is tested in test_unlabelled.py; numpy turns -1 beside
    # strings into "-1", which therefore marks unlabelled rows too.
    np.testing.assert_array_equal(
        unlabelled_mask(np.array(["a", -1, "-1"], dtype=object)), [False, True, True]
    )
    np.testing.assert_array_equal(unlabelled_mask([1.0, -1.0]), [False, True])
    np.testing.assert_array_equal(unlabelled_mask(np.array(["-1", "a"])), [True, False])


def test_scorer_in_grid_search_matches_default_score(digits):
    X, y = digits
    y_semi = hide_labels(y[:600], 20, random_state=0)
    kwargs = dict(param_grid={"T": [0.05]}, cv=2)
    est = NS3LClassifier("threshold", max_epochs=3, random_state=0)
    default = GridSearchCV(est, **kwargs).fit(X[:600], y_semi)
    explicit = GridSearchCV(est, scoring=labelled_accuracy_scorer, **kwargs)
    explicit.fit(X[:600], y_semi)
    assert default.best_score_ == pytest.approx(explicit.best_score_)
    # Plain accuracy counts each unlabelled row as an error.
    plain = GridSearchCV(est, scoring="accuracy", **kwargs).fit(X[:600], y_semi)
    assert plain.best_score_ < 0.5 * default.best_score_
