"""
======================================================
Comparing the negative-label selectors (Fashion-MNIST)
======================================================

NS3L needs, for each unlabelled image, a few classes it almost surely is not.
The paper's appendix (Table 6) compares several rules on Fashion-MNIST:

- **uniform**: ``k`` classes at random, which may hit the true class;
- three **nearest-neighbour** rules over the distance from the image to the
  nearest labelled image of each class: drop the class of the nearest one and
  draw from the rest, drop the 4 nearest classes and draw from the rest, or
  take the furthest class;
- **threshold** ``T``: the classes the network being trained already gives a
  probability below ``T``, recomputed on every batch;
- **oracle**: classes drawn from the wrong ones using the ground truth, an
  upper bound for ablations that no real run can use.

Its shape: uniform hurts, the neighbour rules help a little, the threshold
comes close to the oracle. This example reruns the comparison on a subset of
Fashion-MNIST small enough for a CPU, and also counts how often each rule's
negative labels are wrong, i.e. include the image's true class.

Fashion-MNIST is read by :func:`sklearn_ns3l.datasets.load_fashion_mnist` from
``$NS3L_FASHION_MNIST`` (an ``.npz`` or a directory of the idx files) or from
where the Debian package ``dataset-fashion-mnist`` puts it. Nothing is
downloaded: without a copy the example says so and runs on scikit-learn's
digits instead.
"""

# %%
# Settings
# --------
# ``NS3L_EXAMPLE_QUICK=1`` (test suite, default docs build) trains for a few
# steps on a few thousand images: the ranking it draws is noise.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ns3l import (
    NearestNeighbourSelector,
    NS3LClassifier,
    OracleSelector,
    ThresholdSelector,
    UniformSelector,
    negative_label_quality,
)
from sklearn_ns3l.datasets import hide_labels, load_fashion_mnist

QUICK = os.environ.get("NS3L_EXAMPLE_QUICK") == "1"
N_TRAIN, N_TEST = (1000, 300) if QUICK else (10000, 2000)
LABELS_PER_CLASS = 10 if QUICK else 50
MAX_EPOCHS = 6 if QUICK else 30
# The paper's epoch (one pass over the labelled rows) at a constant rate,
# the settings of the full run quoted below (the defaults, "auto" steps and a
# cosine decay, came later).
PAPER_EPOCHS = dict(steps_per_epoch=None, lr_schedule="constant")
SEEDS = [0] if QUICK else [0, 1]

# %%
# Data
# ----
try:
    fashion = load_fashion_mnist()
except FileNotFoundError as exc:
    print(f"Fashion-MNIST is not available, so this run uses digits instead.\n{exc}")
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    dataset = "digits"
else:
    # A stratified subset keeps the run small; pixels scaled to [0, 1].
    X_train, _, y_train, _ = train_test_split(
        fashion.X_train,
        fashion.y_train,
        train_size=N_TRAIN,
        stratify=fashion.y_train,
        random_state=0,
    )
    X_test, _, y_test, _ = train_test_split(
        fashion.X_test,
        fashion.y_test,
        train_size=N_TEST,
        stratify=fashion.y_test,
        random_state=0,
    )
    X_train = (X_train / 255.0).astype(np.float32)
    X_test = (X_test / 255.0).astype(np.float32)
    dataset = "Fashion-MNIST"
print(f"{dataset}: {len(X_train)} training images, {len(X_test)} test images")

# %%
# The selectors
# -------------
# Each is a scikit-learn estimator passed as ``selector=``; the short names
# of Table 6 map to these settings. The static ones (all but the threshold)
# choose the negatives of the whole pool once, from the pixels, before
# training.
SELECTORS = {
    "supervised": None,
    "uniform, 1": UniformSelector(k=1),
    "NN: exclude class of NN, 1": NearestNeighbourSelector("nn_exclude_class"),
    "NN: exclude 4 nearest, 1": NearestNeighbourSelector("nn_exclude_nearest", m=4),
    "NN: furthest class": NearestNeighbourSelector("nn_furthest"),
    "threshold T=0.04": ThresholdSelector(T=0.04),
    "oracle, 1": OracleSelector(k=1),
}

# %%
# Training and scoring
# --------------------
# Every selector sees the same labels, initial weights and batches for a
# given seed. The oracle alone is handed the true labels of the unlabelled
# images, through ``fit(..., y_true=...)``.
#
# A negative label is *wrong* when it is the image's true class. For a static
# selector the count is over the mask it trained with; for the threshold it
# is over the mask the final network would give, which holds many more
# negatives per image than the one-label rules.
test_error = {name: [] for name in SELECTORS}
wrong_share = {name: [] for name in SELECTORS}
per_image = {name: [] for name in SELECTORS}
for seed in SEEDS:
    y_semi = hide_labels(y_train, LABELS_PER_CLASS, random_state=seed)
    pool = y_semi == -1
    X_pool = X_train[pool]
    for name, selector in SELECTORS.items():
        clf = NS3LClassifier(
            selector=selector, max_epochs=MAX_EPOCHS, random_state=seed, **PAPER_EPOCHS
        )
        clf.fit(X_train, y_semi, y_true=y_train)
        test_error[name].append(100 * (1 - clf.score(X_test, y_test)))
        if selector is None:
            continue
        # A static selector's mask is the one the network trained with
        # (pool_negatives_); a probability rule marks each batch anew, so
        # its mask is read off the final network's probabilities.
        mask = clf.pool_negatives_
        if mask is None:
            mask = clf.selector_.transform(clf.predict_proba(X_pool))
        quality = negative_label_quality(mask, y_train[pool], clf.classes_)
        wrong_share[name].append(100 * np.nan_to_num(quality.wrong_negative_rate))
        per_image[name].append(quality.negatives_per_sample)
    print(
        f"seed {seed}: " + ", ".join(f"{k} {v[-1]:.1f}%" for k, v in test_error.items())
    )
for name in SELECTORS:
    if per_image[name]:
        print(
            f"{name:28s} {np.mean(per_image[name]):.2f} negatives per image, "
            f"{np.mean(wrong_share[name]):.2f}% of them wrong"
        )

# %%
# The plot
# --------
# Left: test error (mean and standard deviation over the seeds; lower is
# better). Right: the share of negative labels that are in fact the image's
# true class.
names = list(SELECTORS)
errors = np.array([test_error[n] for n in names])
fig, (ax_err, ax_wrong) = plt.subplots(
    1, 2, figsize=(10, 4.2), sharey=True, layout="constrained"
)
ax_err.barh(names, errors.mean(axis=1), xerr=errors.std(axis=1), color="C0")
ax_err.axvline(errors[0].mean(), color="k", lw=0.8, ls="--")
ax_err.set_xlabel("test error (%)")
ax_err.set_xlim(left=max(0.0, errors.min() - 5))
ax_err.set_title(f"{dataset}, {LABELS_PER_CLASS} labels per class")
wrong = [np.mean(wrong_share[n]) if wrong_share[n] else np.nan for n in names]
ax_wrong.barh(names, wrong, color="C3")
ax_wrong.set_xlabel("negative labels that are the true class (%)")
ax_wrong.set_title("how often the negatives are wrong")
ax_err.invert_yaxis()
plt.show()

# %%
# What the full run shows
# -----------------------
# The dashed line is the supervised baseline. The full run (10,000 training
# images with 50 labels per class, 30 epochs, 2 seeds; about ten minutes on
# one CPU core) gave, in mean test error: supervised 19.8%, uniform 23.2%,
# exclude class of NN 19.6%, exclude 4 nearest 19.1%, furthest class 18.9%,
# threshold 18.6%, oracle 18.4%. That is the paper's shape (its Table 6, with
# 2,000 labels and 58,000 unlabelled images: 17.3, 18.6, 17.1, 17.1, 16.8,
# 16.5 and 16.4%): uniform hurts, the neighbour rules help a little, the
# threshold comes close to the oracle.
#
# The right panel says why. Uniform's one draw is the true class one time in
# ten, and pushing an image away from its own class costs more than the other
# nine draws gain. The neighbour rules are wrong 3% (exclude class of NN),
# 0.4% (exclude 4 nearest) and almost never (furthest class) of the time, but
# give one negative per image, fixed before training from raw pixel
# distances. The threshold gives about 9 per image by the end of training
# with about 1% of them wrong: much more signal at much the same risk, which
# is the paper's case for it.
