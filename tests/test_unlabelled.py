"""What marks a row unlabelled: -1 in every dtype, and a clear refusal otherwise."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_ns3l import NS3LClassifier, labelled_accuracy_score
from sklearn_ns3l._scoring import unlabelled_mask as scoring_unlabelled_mask
from sklearn_ns3l._unlabelled import UNLABELLED, split_labelled, unlabelled_mask
from sklearn_ns3l.datasets import hide_labels

TINY = dict(max_epochs=1, batch_size=16, random_state=0)


class _NAish:
    """Like pandas.NA: comparisons return NA, whose truth value is an error."""

    def __eq__(self, other):
        return self

    __ne__ = __eq__

    def __bool__(self):
        raise TypeError("boolean value of NA is ambiguous")

    def __repr__(self):
        return "<NA>"


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.array([0, -1, 2]), [0, 1, 0]),
        # Only -1 marks a row: other negative numbers are classes.
        (np.array([-2, -1, 3, -1000]), [0, 1, 0, 0]),
        (np.array([-128, -1, 5], dtype=np.int8), [0, 1, 0]),
        (np.array([-2.0, -1.0, -0.5, 3.0]), [0, 1, 0, 0]),
        (np.array([-2, -1, 3], dtype=object), [0, 1, 0]),
        (np.array(["-2", "-1"]), [0, 1]),
        (np.array([0.0, -1.0, 2.0], dtype=np.float32), [0, 1, 0]),
        (np.array([0, 255], dtype=np.uint8), [0, 0]),  # cannot hold -1
        (np.array([True, False]), [0, 0]),
        (np.array(["spam", -1, "ham"]), [0, 1, 0]),  # numpy makes -1 "-1"
        (["spam", -1, "ham"], [0, 1, 0]),  # a list goes the same way
        (np.array([b"spam", b"-1"]), [0, 1]),
        (np.array(["spam", -1, "ham"], dtype=object), [0, 1, 0]),
        (np.array(["spam", "-1"], dtype=object), [0, 1]),
        (np.array([b"spam", b"-1"], dtype=object), [0, 1]),
        (np.array([3, np.int64(-1), -1.0, np.float32(-1)], dtype=object), [0, 1, 1, 1]),
        (np.array([3, "-1"], dtype=object), [0, 1]),
        (np.array([[1], [-1]]), [0, 1]),  # a column vector is its column
        (np.array(["0", "1", "-10", "+1"]), [0, 0, 0, 0]),  # labels, not -1
        (np.array([], dtype=object), []),
    ],
)
def test_minus_one_marks_unlabelled_rows_in_every_dtype(y, expected):
    np.testing.assert_array_equal(unlabelled_mask(y), np.array(expected, dtype=bool))


@pytest.mark.parametrize(
    "y, shown",
    [
        (np.array([0.0, np.nan, 1.0]), "NaN"),
        (np.array(["a", None, "b"], dtype=object), "None"),
        (np.array(["a", np.nan, "b"], dtype=object), "NaN"),
        (np.array([1, float("nan")], dtype=object), "NaN"),
        (np.array([1, np.datetime64("NaT")], dtype=object), "NaT"),
        (np.array(["a", _NAish()], dtype=object), "<NA>"),
        (np.array(["a", "", "b"]), "''"),
        (np.array(["a", "  "]), "'  '"),
        (np.array(["a", "nan"]), "'nan'"),
        (np.array(["a", "NaN"], dtype=object), "'NaN'"),
        (np.array([b"a", b""]), "b''"),
    ],
)
def test_missing_value_markers_are_refused_with_the_rule(y, shown):
    with pytest.raises(ValueError, match="missing value") as info:
        split_labelled(y)
    message = str(info.value)
    assert shown in message and "row 1" in message
    assert "Mark unlabelled rows with -1" in message


@pytest.mark.parametrize(
    "y, shown",
    [
        (np.array(["a", " -1"]), "' -1'"),
        (np.array(["a", -1.0]), "'-1.0'"),  # numpy's text of a float -1
        (np.array(["a", "-1e0"], dtype=object), "'-1e0'"),
        (np.array([b"a", b"-1 "]), "b'-1 '"),
    ],
)
def test_mistyped_minus_one_is_refused_not_taken_as_a_class(y, shown):
    with pytest.raises(ValueError, match="read as -1 but are not written -1") as info:
        unlabelled_mask(y)
    assert shown in str(info.value)


@pytest.mark.parametrize(
    "y",
    [
        np.array(["cat", 3, -1], dtype=object),  # a pandas column of mixed types
        np.array([1, "1"], dtype=object),
        np.array([b"cat", "dog"], dtype=object),
    ],
)
def test_labels_mixing_strings_and_numbers_are_refused(y):
    with pytest.raises(ValueError, match="y mixes .* among its class labels"):
        split_labelled(y)


@pytest.mark.parametrize("y", [None, np.zeros((3, 2)), 5])
def test_targets_that_are_not_one_dimensional_are_refused(y):
    with pytest.raises(ValueError, match="y should be a 1d array"):
        split_labelled(y)


def test_object_numbers_come_back_numeric_and_strings_keep_their_dtype():
    mask, labels = split_labelled(np.array([3, -1, 5], dtype=object))
    assert labels.dtype.kind == "i" and labels.tolist() == [3, 5]
    _, labels = split_labelled(np.array(["b", -1, "a"], dtype=object))
    assert labels.dtype == object and labels.tolist() == ["b", "a"]
    _, labels = split_labelled(np.array(["spam", -1, "ham"]))
    assert labels.dtype.kind == "U" and labels.tolist() == ["spam", "ham"]


@st.composite
def labelled_targets(draw):
    """Labels (ints or strings) with -1 at random rows, as one Python list."""
    labels = draw(
        st.one_of(
            # Negative labels too: only -1 itself marks a row.
            st.lists(
                st.integers(-1000, 1000).filter(lambda v: v != UNLABELLED),
                min_size=1,
                max_size=4,
                unique=True,
            ),
            st.lists(
                # Not blank, and not read as a number: such text is refused.
                st.text("abcxyz-1 ", min_size=1, max_size=4).filter(
                    lambda s: s.strip() and _reads_as(s) is None
                ),
                min_size=1,
                max_size=4,
                unique=True,
            ),
        )
    )
    rows = draw(st.lists(st.sampled_from(labels + [UNLABELLED]), max_size=30))
    return rows


def _reads_as(text):
    try:
        return float(text)
    except ValueError:
        return None


@settings(max_examples=60, deadline=None)
@given(rows=labelled_targets())
def test_every_container_of_the_same_targets_gives_the_same_split(rows):
    """A list, an object array, numpy's string array and bytes all agree."""
    expected = np.array([v == UNLABELLED for v in rows], dtype=bool)
    expected_labels = [v for v in rows if v != UNLABELLED]
    containers = [rows, np.array(rows, dtype=object)]
    if any(isinstance(v, str) for v in rows):
        containers.append(np.array([str(v) for v in rows]))  # a CSV reader's
        containers.append(np.array([str(v).encode() for v in rows]))
        containers.append(np.array([str(v) for v in rows], dtype=object))
    for y in containers:
        mask, labels = split_labelled(y)
        np.testing.assert_array_equal(mask, expected)
        got = [v.decode() if isinstance(v, bytes) else v for v in labels.tolist()]
        assert got == expected_labels


def test_the_scorer_and_the_old_import_follow_the_same_rule():
    assert scoring_unlabelled_mask is unlabelled_mask
    y_true = np.array(["spam", -1, "ham", -1])  # "-1" twice
    assert labelled_accuracy_score(y_true, ["spam", "ham", "spam", "x"]) == 0.5
    with pytest.raises(ValueError, match="None at row 1"):
        labelled_accuracy_score(np.array(["spam", None], dtype=object), ["a", "b"])


@pytest.mark.parametrize(
    "y",
    [
        np.repeat([3, 7], 4),
        np.repeat([3, 7], 4).astype(np.uint8),
        np.repeat([0.5, 2.0], 4),
        np.repeat([True, False], 4),
        np.repeat(["spam", "ham"], 4),
        np.repeat([b"spam", b"ham"], 4),
        np.repeat(["spam", "ham"], 4).astype(object),
    ],
)
def test_hidden_labels_read_back_as_unlabelled_in_every_dtype(y):
    y_semi = hide_labels(y, 1, random_state=0)
    mask, labels = split_labelled(y_semi)
    assert mask.sum() == len(y) - 2
    assert sorted(np.unique(labels).tolist()) == sorted(np.unique(y).tolist())
    np.testing.assert_array_equal(y_semi[~mask], y[~mask])


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([0, 0, 1, -1]), "already marks 1 row"),
        (np.array(["a", "a", "b", "-1"]), "already marks 1 row"),
        (np.array(["a", "a", "b", None], dtype=object), "None at row 3"),
        (np.array([0.0, 0.0, 1.0, np.nan]), "NaN at row 3"),
    ],
)
def test_hide_labels_needs_fully_labelled_targets(y, match):
    with pytest.raises(ValueError, match=match):
        hide_labels(y, 1, random_state=0)


def _problem(n=120):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 4).astype(np.float32)
    return X, np.where(X[:, 0] > 0, "spam", "ham")


def test_fit_reads_the_string_minus_one_as_unlabelled():
    X, truth = _problem()
    y = np.array([t if i < 40 else -1 for i, t in enumerate(truth)])
    assert y.dtype.kind == "U"
    clf = NS3LClassifier(**TINY).fit(X, y)
    assert clf.classes_.tolist() == ["ham", "spam"]
    assert (clf.n_labelled_, clf.n_unlabelled_) == (40, 80)
    assert set(clf.predict(X)) <= {"ham", "spam"}


def test_fit_takes_other_negative_integers_as_classes():
    X, truth = _problem()
    # Classes -2 and 3; -1 alone marks the unlabelled rows.
    y = np.where(truth == "spam", -2, 3)
    y[40:] = -1
    clf = NS3LClassifier(**TINY).fit(X, y)
    assert clf.classes_.tolist() == [-2, 3]
    assert (clf.n_labelled_, clf.n_unlabelled_) == (40, 80)
    assert set(clf.predict(X)) <= {-2, 3}
    assert clf.predict_proba(X).shape == (120, 2)
    # The score reads the -2 rows as labelled, the -1 rows not at all.
    assert clf.score(X, y) == np.mean(clf.predict(X[:40]) == y[:40])


# NaN and pandas.NA reach scikit-learn's check of y first (see below) until fit
# calls split_labelled before validate_data; split_labelled refuses them too.
@pytest.mark.parametrize("marker", [None, "", "-1.0"])
def test_fit_refuses_other_markers_and_says_how_to_mark(marker):
    X, truth = _problem()
    y = truth.astype(object)
    y[40:] = marker
    with pytest.raises(ValueError, match="Mark unlabelled rows with -1"):
        NS3LClassifier(**TINY).fit(X, y)


def test_fit_refuses_nan_targets():
    # fit validates y with scikit-learn before it reads the markers today, and
    # scikit-learn's own message names the NaN; split_labelled's adds the rule.
    X, truth = _problem()
    y = truth.astype(object)
    y[40:] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        NS3LClassifier(**TINY).fit(X, y)


def test_fit_refuses_pandas_na_with_the_rule():
    X, truth = _problem()
    y = truth.astype(object)
    y[40:] = _NAish()
    with pytest.raises(ValueError, match="Mark unlabelled rows with -1"):
        NS3LClassifier(**TINY).fit(X, y)


def test_labelled_classes_are_sorted_with_codes_and_need_two_classes():
    from sklearn_ns3l._unlabelled import labelled_classes

    classes, codes = labelled_classes(np.array(["b", "a", "b"]), "Owner")
    np.testing.assert_array_equal(classes[codes], ["b", "a", "b"])
    assert list(classes) == ["a", "b"]
    with pytest.raises(ValueError, match="no labelled samples.*Owner needs"):
        labelled_classes(np.array([]), "Owner")
    with pytest.raises(ValueError, match=r"Owner needs .* got 1 class \('a'\)"):
        labelled_classes(np.array(["a", "a"]), "Owner")
