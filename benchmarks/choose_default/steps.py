"""``steps``: the training length (``steps_per_epoch``, ``lr_schedule``).

Digits as 64 features, 10 (or 100) labels per class, 3 splits (seeds 0, 1,
2 of ``_dev_splits.digits_split``); for each ``steps_per_epoch`` and
``lr_schedule``, the final supervised loss (is the training converged?) and
the held-out accuracy, for the supervised network and the threshold rule.
The default (``"auto"``: at least 20 steps an epoch) was picked by the
training loss: 1,000 steps is where the supervised loss of 10 labels per
class has flattened (below 0.01).
"""

from __future__ import annotations

import time

import numpy as np

from choose_default._dev_splits import digits_split
from sklearn_ns3l import NS3LClassifier

__all__ = ["steps"]


def steps(per_class: int) -> None:
    for selector in (None, "threshold"):
        for spe, schedule in [
            (None, "constant"),
            (None, "cosine"),
            (10, "cosine"),
            (20, "cosine"),
            (40, "cosine"),
            (80, "cosine"),
        ]:
            accs, losses, start = [], [], time.perf_counter()
            for s in range(3):
                X_tr, y_semi, X_te, y_te = digits_split(s, per_class)
                clf = NS3LClassifier(
                    selector=selector,
                    steps_per_epoch=spe,
                    lr_schedule=schedule,
                    random_state=s,
                ).fit(X_tr, y_semi)
                accs.append(clf.score(X_te, y_te))
                losses.append(clf.history_[-1, "supervised_loss"])
            print(
                f"{per_class:4d} {selector!s:10s} steps_per_epoch={spe!s:5s} "
                f"{schedule:8s} steps={clf.steps_per_epoch_ * 50:5d} "
                f"acc={100 * np.mean(accs):.2f} sup_loss={np.mean(losses):.4f} "
                f"s/fit={(time.perf_counter() - start) / 3:.1f}",
                flush=True,
            )
