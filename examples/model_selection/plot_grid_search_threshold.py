"""
==============================================================
Tuning the threshold T by cross-validation, labelled rows only
==============================================================

The threshold ``T`` decides which classes count as negative labels: a class
whose probability is below ``T`` under the current network. The paper finds
the results more sensitive to ``T`` than to the weight of the NS3L term, so
``T`` is the parameter to tune.

Cross-validating a semi-supervised model has a trap. The folds are cut from
the training set, so every test fold holds unlabelled rows (target -1) too. A
model never predicts -1, so plain accuracy counts each of those rows as an
error. :data:`sklearn_ns3l.labelled_accuracy_scorer` scores the labelled rows
only, and so does :meth:`NS3LClassifier.score <sklearn_ns3l.NS3LClassifier.score>`,
which :class:`~sklearn.model_selection.GridSearchCV` uses when no ``scoring``
is given. This example runs one search with both scorers and compares them
with the accuracy on a fully labelled held-out set.
"""

# %%
# Settings
# --------
# ``NS3L_EXAMPLE_QUICK=1`` (test suite, default docs build) runs a tiny grid.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from sklearn_ns3l import NS3LClassifier, labelled_accuracy_scorer
from sklearn_ns3l.datasets import hide_labels

QUICK = os.environ.get("NS3L_EXAMPLE_QUICK") == "1"
T_GRID = [0.01, 0.1] if QUICK else [0.002, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32]
N_SPLITS = 2 if QUICK else 3
MAX_EPOCHS = 1 if QUICK else 50  # 50 is the default: 1,000 steps

# %%
# Data: 10 labels per class
# -------------------------
X, y = load_digits(return_X_y=True)
X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_semi = hide_labels(y_train, 10, random_state=0)
print(f"{(y_semi != -1).sum()} labelled and {(y_semi == -1).sum()} unlabelled rows")

# %%
# One search, two scorers
# -----------------------
# The folds are stratified on ``y_semi``, so -1 counts as one more class and
# every fold gets its share of labelled rows. ``refit="labelled"`` picks the
# final ``T`` by the labelled-only score.
search = GridSearchCV(
    NS3LClassifier("threshold", max_epochs=MAX_EPOCHS, random_state=0),
    param_grid={"T": T_GRID},
    scoring={"labelled": labelled_accuracy_scorer, "plain": "accuracy"},
    refit="labelled",
    cv=StratifiedKFold(N_SPLITS, shuffle=True, random_state=0),
)
search.fit(X_train, y_semi)
cv = search.cv_results_
print("best T (labelled rows only):", search.best_params_["T"])
print("best T (plain accuracy):    ", T_GRID[int(np.argmax(cv["mean_test_plain"]))])

# %%
# What each T really scores
# -------------------------
# The truth to compare against: each ``T`` trained on the whole training set
# and scored on the held-out images, all of them labelled.
held_out = [
    NS3LClassifier("threshold", T=T, max_epochs=MAX_EPOCHS, random_state=0)
    .fit(X_train, y_semi)
    .score(X_test, y_test)
    for T in T_GRID
]

# %%
# The plot
# --------
# Plain accuracy sits on the share of labelled rows in a fold (about 8%
# here), whatever ``T``: its numbers say how many rows had labels, not how
# good the model is. Here its ranking happens to match the labelled-only one,
# because every fold holds the same share of labelled rows; with unstratified
# folds it would also rank ``T`` by the luck of the split.
#
# The labelled-only score is on the scale of the held-out accuracy, a little
# below it since each fold trains on two thirds of the labels. It is measured
# on about 33 labelled rows per fold, though, and its spread across folds is
# as wide as the differences between good values of ``T``. In the full run
# (7 values, 3 folds) the search picked ``T=0.002`` at 0.94 while the held-out
# accuracy was best at ``T=0.08`` (0.98, against 0.94 for ``T=0.002``). A
# search over so few labels can tell a ``T`` that breaks training from one
# that works, not the best of the good ones; repeated splits
# (:class:`~sklearn.model_selection.RepeatedStratifiedKFold`) or more labels
# narrow the bars.
labelled_share = np.mean(y_semi != -1)
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for key, label, marker in [
    ("labelled", "CV, labelled rows only", "o"),
    ("plain", "CV, plain accuracy", "x"),
]:
    ax.errorbar(
        T_GRID,
        cv[f"mean_test_{key}"],
        yerr=cv[f"std_test_{key}"],
        marker=marker,
        capsize=3,
        label=label,
    )
ax.plot(T_GRID, held_out, "k--", marker="s", label="held-out test accuracy")
ax.axhline(labelled_share, color="grey", lw=0.8, ls=":")
ax.annotate(
    "share of labelled rows",
    (T_GRID[0], labelled_share),
    xytext=(0, 4),
    textcoords="offset points",
    fontsize="small",
    color="grey",
)
ax.set_xscale("log")
ax.set_ylim(0, 1)
ax.set_xlabel("threshold T")
ax.set_ylabel("accuracy")
ax.set_title(f"GridSearchCV over T (best: T={search.best_params_['T']})")
ax.legend(loc="center right")
plt.show()

# %%
# ``GridSearchCV(NS3LClassifier(), {"T": [...]})`` with no ``scoring`` gives
# the labelled-only numbers as well, through ``NS3LClassifier.score``. Pass
# :data:`~sklearn_ns3l.labelled_accuracy_scorer` explicitly when the search
# wraps the classifier in something whose ``score`` is not the classifier's,
# or when it scores several metrics at once as here.
