"""
=======================================
Watching NS3L train: the history plot
=======================================

A fitted :class:`~sklearn_ns3l.NS3LClassifier` keeps, per epoch, the
supervised loss, the NS3L loss (before weighting), the weight of the NS3L
term as it ramps up, and the mean number of negative labels per unlabelled
sample. :func:`sklearn_ns3l.plot_history` draws them. This example trains
the threshold rule with two values of ``T`` and the supervised baseline on
digits with 10 labels per class, and plots the three histories side by side.
"""

# %%
# Settings
# --------
# ``NS3L_EXAMPLE_QUICK=1`` (test suite, default docs build) trains a few
# epochs only.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sklearn_ns3l import NS3LClassifier, plot_history
from sklearn_ns3l.datasets import hide_labels

QUICK = os.environ.get("NS3L_EXAMPLE_QUICK") == "1"
MAX_EPOCHS = 2 if QUICK else 50  # epochs of 20 steps (the default)

X, y = load_digits(return_X_y=True)
X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
y_semi = hide_labels(y, 10, random_state=0)

# %%
# Three fits
# ----------
models = {
    "supervised": NS3LClassifier(selector=None),
    "threshold, T=0.04": NS3LClassifier("threshold", T=0.04),
    "threshold, T=0.3": NS3LClassifier("threshold", T=0.3),
}
for model in models.values():
    model.set_params(max_epochs=MAX_EPOCHS, random_state=0)
    model.fit(X, y_semi)

# %%
# The histories
# -------------
# With ``T=0.04`` the untrained network is unsure of everything, no class
# falls below ``T``, and the negatives per sample (dashed, right axis) start
# at 0. As the network grows confident they climb towards the nine wrong
# classes of each digit, while the NS3L loss stays small: the excluded
# classes carry almost no probability.
#
# ``T=0.3`` is above ``1 / 10``, so the near-uniform probabilities of an
# untrained network are *all* below it: every class is a negative label of
# every sample, and the NS3L loss starts at its clip value, ``-log(1e-8)``,
# about 18. It falls only once the network puts more than 0.3 on some class.
# Keep ``T`` well below ``1 / n_classes``. The supervised baseline has no
# NS3L term, so it draws its supervised loss alone.
fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    plot_history(model, ax=ax)
    ax.set_title(name)
# The right-hand axes are twins, one per panel: give them one scale.
twins = [a for a in fig.axes if a not in axes]
for twin in twins:
    twin.set_ylim(0, 10)
plt.show()

# %%
# Reading the history directly
# ----------------------------
# ``history_`` is a :class:`skorch.history.History`: index it by epoch and
# key.
# ``objective_.history_keys`` lists what the training logged.
for name, model in models.items():
    last = model.history_[-1]
    logged = ", ".join(f"{k} {last[k]:.3f}" for k in model.objective_.history_keys)
    print(f"{name:18s} epoch {last['epoch']}: {logged}")
