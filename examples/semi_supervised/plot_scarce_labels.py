"""
================================================
Negative sampling as labels get scarcer (digits)
================================================

A network trained on a handful of labels per class overfits them. NS3L lets
every unlabelled image add a weak signal: "this is *not* class k" for the
classes the network already finds very unlikely (probability below ``T``).
This example trains the same small CNN on scikit-learn's 8x8 digits twice for
each label budget, once on the labelled images only (``selector=None``) and
once with the NS3L term (``selector="threshold"``), and plots the test
accuracy of both as the number of labels per class shrinks.
"""

# %%
# Settings
# --------
# ``NS3L_EXAMPLE_QUICK=1`` (set by the test suite and the default docs build)
# shrinks the run to a few seconds; its curve is too short and too noisy to
# read anything into.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l.datasets import hide_labels

QUICK = os.environ.get("NS3L_EXAMPLE_QUICK") == "1"
LABELS_PER_CLASS = [3, 10] if QUICK else [2, 4, 8, 16, 32]
SEEDS = [0] if QUICK else [0, 1, 2]
STEPS = 30 if QUICK else 300
# The paper's epoch (one pass over the labelled rows) at a constant rate,
# the settings of the full run quoted below (the defaults, "auto" steps and a
# cosine decay, came later).
PAPER_EPOCHS = dict(steps_per_epoch=None, lr_schedule="constant")

# %%
# Data
# ----
# The digits are 8x8 images: passed as ``(n, 8, 8)`` they get the small CNN.
# The test set keeps all its labels; the training set keeps only a few per
# class and marks the rest -1, as :mod:`sklearn.semi_supervised` does.
X, y = load_digits(return_X_y=True)
X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Training
# --------
# One epoch is one pass over the labelled rows, so a budget of 2 labels per
# class makes tiny epochs. Each run gets the same number of optimiser steps
# instead (``batch_size=100`` with half of each batch labelled), so that the
# budgets differ only in their labels. The supervised baseline takes exactly
# the labelled batches NS3L takes and skips the unlabelled half.
results = {"supervised": [], "NS3L (threshold)": []}
for n_labels in LABELS_PER_CLASS:
    steps_per_epoch = int(np.ceil(10 * n_labels / 50))
    max_epochs = int(np.ceil(STEPS / steps_per_epoch))
    accuracy = {name: [] for name in results}
    for seed in SEEDS:
        y_semi = hide_labels(y_train, n_labels, random_state=seed)
        for name, selector in [("supervised", None), ("NS3L (threshold)", "threshold")]:
            clf = NS3LClassifier(
                selector=selector,
                T=0.04,
                max_epochs=max_epochs,
                random_state=seed,
                **PAPER_EPOCHS,
            )
            clf.fit(X_train, y_semi)
            accuracy[name].append(clf.score(X_test, y_test))
    for name in results:
        results[name].append(accuracy[name])
        print(
            f"{n_labels:3d} labels/class  {name:18s} "
            f"test accuracy {np.mean(accuracy[name]):.3f}"
        )

# %%
# Test accuracy against the label budget
# --------------------------------------
# Each point is the mean over the seeds (which labels are kept, and the
# network's initialisation); the bars span one standard deviation. The gap
# between the curves is what the unlabelled images bought.
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, marker in zip(results, ["o", "s"], strict=True):
    scores = np.array(results[name])
    ax.errorbar(
        LABELS_PER_CLASS,
        scores.mean(axis=1),
        yerr=scores.std(axis=1),
        marker=marker,
        capsize=3,
        label=name,
    )
ax.set_xscale("log", base=2)
ax.set_xticks(LABELS_PER_CLASS, [str(n) for n in LABELS_PER_CLASS])
ax.set_xlabel("labels per class (rest of the training set unlabelled)")
ax.set_ylabel("test accuracy")
ax.set_title("Digits: NS3L versus the supervised baseline")
ax.legend()
plt.show()

# %%
# What the full run shows
# -----------------------
# A full run (3 seeds, 300 steps, a few minutes on one CPU core) gave, in
# test accuracy, supervised versus NS3L:
#
# ===============  ==========  ======
# labels / class   supervised  NS3L
# ===============  ==========  ======
# 2                0.745       0.578
# 4                0.852       0.898
# 8                0.936       0.949
# 16               0.964       0.967
# 32               0.981       0.978
# ===============  ==========  ======
#
# NS3L helps most with a few labels per class and fades as labels become
# plentiful, where the labelled rows alone already pin the classes down. At
# 2 labels per class it hurts: the threshold rule takes its negative labels
# from the network's own probabilities, and a network fitted to 20 images is
# confidently wrong about many others, so some negatives exclude the true
# class. NS3L is only as good as the network it asks. The threshold ``T`` and
# the weight of the NS3L term are the knobs; the example
# :ref:`sphx_glr_auto_examples_model_selection_plot_grid_search_threshold.py`
# tunes ``T`` by cross-validation.
