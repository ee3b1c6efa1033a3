"""negative_label_quality: wrong negative labels, overall and per class."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_ns3l import negative_label_quality


def test_counts_on_a_hand_made_mask():
    # Rows of classes a, a, b, c (c has no column); columns a, b.
    negatives = np.array([[True, True], [False, True], [True, False], [True, True]])
    quality = negative_label_quality(negatives, ["a", "a", "b", "c"], ["a", "b"])
    # Wrong: row 0's a. Marked: 6.
    assert (quality.n_negatives, quality.n_wrong_negatives) == (6, 1)
    assert quality.wrong_negative_rate == pytest.approx(1 / 6)
    assert quality.negatives_per_sample == pytest.approx(6 / 4)
    assert quality.class_rows.tolist() == [2, 1]
    # Class a: 1 of its 2 rows marked a; class b: its row is not marked b.
    assert quality.class_wrong_rate.tolist() == [0.5, 0.0]
    # Class a's rows got 3 negatives, 1 wrong; class b's row got 1, right.
    assert quality.class_negatives.tolist() == [3, 1]
    assert quality.class_wrong_negative_rate.tolist() == [pytest.approx(1 / 3), 0.0]


def test_a_class_without_rows_has_no_rate():
    quality = negative_label_quality(np.zeros((2, 3), bool), [0, 0], [0, 1, 2])
    assert quality.class_wrong_rate[0] == 0.0
    assert np.isnan(quality.class_wrong_rate[1:]).all()
    assert np.isnan(quality.wrong_negative_rate)  # nothing marked
    assert np.isnan(quality.class_wrong_negative_rate).all()


def test_shapes_must_agree():
    with pytest.raises(ValueError, match=r"shape \(len\(y_true\), len\(classes\)\)"):
        negative_label_quality(np.zeros((3, 2), bool), [0, 1], [0, 1])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_per_class_rates_add_up_to_the_overall_count(data):
    n_rows = data.draw(st.integers(1, 30))
    n_classes = data.draw(st.integers(1, 5))
    negatives = data.draw(arrays(bool, (n_rows, n_classes)))
    y_true = data.draw(arrays(np.int64, n_rows, elements=st.integers(0, n_classes)))
    quality = negative_label_quality(negatives, y_true, np.arange(n_classes))
    # A row's true class marked negative, counted one by one.
    wrong = sum(bool(negatives[i, y]) for i, y in enumerate(y_true) if y < n_classes)
    assert quality.n_wrong_negatives == wrong
    assert quality.n_negatives == negatives.sum()
    rows = quality.class_rows
    assert rows.sum() == np.sum(y_true < n_classes)
    counted = np.nansum(quality.class_wrong_rate * rows)
    assert counted == pytest.approx(wrong)
    # Each true class's negatives, counted row by row, and its wrong share.
    for k in range(n_classes):
        given_k = negatives[y_true == k].sum()
        assert quality.class_negatives[k] == given_k
        if given_k:
            share = negatives[y_true == k, k].sum() / given_k
            assert quality.class_wrong_negative_rate[k] == pytest.approx(share)
        else:
            assert np.isnan(quality.class_wrong_negative_rate[k])


def test_classes_in_any_order():
    negatives = np.array([[True, False], [False, True]])
    # Row 0 is 'b' with 'b' (column 0) marked: wrong; row 1 likewise for 'a'.
    quality = negative_label_quality(negatives, ["b", "a"], ["b", "a"])
    assert quality.n_wrong_negatives == 2
    assert quality.class_rows.tolist() == [1, 1]
    with pytest.raises(ValueError, match="classes must be distinct"):
        negative_label_quality(negatives, ["a", "a"], ["a", "a"])
