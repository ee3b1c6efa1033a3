"""``calibration``: issue #14's part 3, the threshold rule at a calibrated T.

``ThresholdSelector(wrong_negative_rate=a)`` calibrated on held-out labelled
rows at every epoch, against the paper's fixed ``T = 0.04`` and the
supervised network (with and without the held-out rows), on the digits
development seeds (64 features) and the Fashion-MNIST development split 100
(10 epochs).
"""

from __future__ import annotations

import time

import numpy as np

from choose_default._dev_splits import digits_split, fashion_dev_split
from sklearn_ns3l import NS3LClassifier, ThresholdSelector

__all__ = ["CALIBRATION_ARMS", "calibration"]


CALIBRATION_ARMS = {
    # name: (selector, validation_fraction)
    "supervised": (None, None),
    "supervised, held-out": (None, "held"),
    "threshold T=0.04": ("threshold", None),
    "threshold rate=0.02": (ThresholdSelector(wrong_negative_rate=0.02), "held"),
    "threshold rate=0.05": (ThresholdSelector(wrong_negative_rate=0.05), "held"),
}


def calibration(where: str) -> None:
    """The threshold rule at a calibrated T, against the paper's fixed T.

    The calibrated arms hold labelled rows out of training: a fifth of the
    labels on digits (20 of 100, so only the 5 % target, which needs 19, is
    run), 5 % on Fashion-MNIST (100 of 2,000). "supervised, held-out" is the
    supervised network without the same rows, to tell the cost of the labels
    from the effect of the threshold.
    """
    held = 0.2 if where == "digits" else 0.05
    arms = dict(CALIBRATION_ARMS)
    if where == "digits":
        del arms["threshold rate=0.02"]

    def report(name, accs, clfs, seconds):
        extra = ""
        if "threshold" in clfs[-1].history_[-1]:
            thr = np.mean([c.history_[-1, "threshold"] for c in clfs])
            extra = f" last threshold={thr:.4f}"
        print(
            f"{where} {name:22s} "
            + " ".join(f"{100 * a:.2f}" for a in accs)
            + f" mean={100 * np.mean(accs):.2f}{extra} s/fit={seconds:.1f}",
            flush=True,
        )

    for name, (selector, fraction) in arms.items():
        fraction = held if fraction == "held" else None
        accs, clfs, start = [], [], time.perf_counter()
        if where == "digits":
            for s in (10, 11, 12):
                X_tr, y_semi, X_te, y_te = digits_split(s, 10)
                clf = NS3LClassifier(
                    selector=selector, validation_fraction=fraction, random_state=s
                )
                clfs.append(clf.fit(X_tr, y_semi))
                accs.append(clf.score(X_te, y_te))
            report(name, accs, clfs, (time.perf_counter() - start) / 3)
            continue
        X_train, y_semi, _, X_dev, y_dev = fashion_dev_split(100)
        clf = NS3LClassifier(
            selector=selector,
            validation_fraction=fraction,
            max_epochs=10,
            random_state=100,
        ).fit(X_train, y_semi)
        report(name, [clf.score(X_dev, y_dev)], [clf], time.perf_counter() - start)
