"""NS3L, its supervised twin and scikit-learn's peers on one table (``ns3l compare``).

A user's table (CSV, Parquet or anything else pandas reads, or an ``.npz`` with
``X`` and ``y``) is read into features and a target whose empty or -1 entries
are the unlabelled rows (:func:`read_table`). Every method is a scikit-learn
``Pipeline``: a ``ColumnTransformer`` (numeric columns imputed, and
standardised where their units differ, the others
one-hot encoded; :func:`make_preprocessor`), then the model. Each is scored by
stratified cross-validation over the labelled rows only
(:func:`semi_supervised_folds`): every training fold also holds all the
unlabelled rows, every test fold labelled rows alone, the same folds for every
method (:func:`compare`, one :class:`MethodResult` per method, with
accuracy and balanced accuracy from the same fits). The table ranks the
methods by accuracy, or by balanced accuracy when the labelled classes are
imbalanced: the largest has at least :data:`IMBALANCE_RATIO` (1.5) times the
labelled rows of the smallest (:func:`ranking_for`).

The peers (:data:`PEERS`, one :class:`Peer` record each) are also the rows of
``benchmarks/vs_sklearn.py``.

Examples
--------
>>> from sklearn_ns3l.compare import PEERS, compare_methods
>>> list(compare_methods())[:3]
['NS3L default', 'NS3L supervised twin', 'LabelSpreading (knn)']
>>> PEERS["LabelSpreading (rbf)"].short
'LS rbf'
"""

from ._cv import MethodResult, compare, paired_difference, semi_supervised_folds
from ._format import CSV_COLUMNS, fmt_number, fmt_pm, format_results, write_csv
from ._peers import (
    DENSE_KERNEL_LIMIT,
    NS3L_DEFAULT,
    PEERS,
    SUPERVISED_TWIN,
    LabelledOnly,
    Peer,
    compare_methods,
    ignore_deliberate_warnings,
)
from ._ranking import IMBALANCE_RATIO, Ranking, ranking_for
from ._read import read_table
from ._table import CompareError, Table, make_preprocessor, scales_numeric_columns

__all__ = [
    "CSV_COLUMNS",
    "DENSE_KERNEL_LIMIT",
    "IMBALANCE_RATIO",
    "NS3L_DEFAULT",
    "PEERS",
    "SUPERVISED_TWIN",
    "CompareError",
    "LabelledOnly",
    "MethodResult",
    "Peer",
    "Ranking",
    "Table",
    "compare",
    "compare_methods",
    "fmt_number",
    "fmt_pm",
    "format_results",
    "ignore_deliberate_warnings",
    "make_preprocessor",
    "scales_numeric_columns",
    "paired_difference",
    "ranking_for",
    "read_table",
    "semi_supervised_folds",
    "write_csv",
]
