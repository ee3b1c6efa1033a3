"""The vocabulary of a benchmark: its catalogue of profiles and rows.

A :class:`Catalogue` is data: which rows (methods) exist, which profiles
(settings, seeds, data set) they run under, what they are compared with and
how the report names them. ``_runner.main(argv, catalogue=...)`` runs one;
``table6.py`` and ``table6_ablations.py`` are two.

Every run is one (row, seed) of a profile. Rows and data sets travel to worker
processes by pickling, so their functions must be module-level functions or
``functools.partial`` objects of them (not lambdas).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: The name of the row every other row is compared with, by default.
SUPERVISED = "Supervised"


@dataclass(frozen=True)
class RunContext:
    """What a row's factory sees: the profile's settings, the seed, run options."""

    settings: object
    seed: int
    device: str = "cpu"
    verbose: int = 1


class Skip(Exception):
    """A run that cannot be made here, with the reason why.

    A row's factory raises it (or the runner does, for a fit that refuses
    sparse input): the run is recorded as skipped, with its reason, instead
    of failed, and is tried again by the next command.
    """


@dataclass
class Split:
    """One seed's data: the training rows (labelled, then the pool) and the test set.

    ``transductive``: the test set is the pool itself (``X_test`` is
    ``X[n_labelled:]``), as in the SSL book's protocol; a graph method is then
    scored by its ``transduction_`` of the pool.
    """

    X: np.ndarray  # labelled rows, then the pool
    y: np.ndarray  # labels, -1 for the pool
    y_true: np.ndarray  # ground truth of every row (for the oracle only)
    X_test: np.ndarray
    y_test: np.ndarray
    n_labelled: int
    n_unlabelled: int
    flat_cache: dict = field(default_factory=dict)
    transductive: bool = False

    def flat(self, name: str) -> np.ndarray:
        """``X`` or ``X_test`` with each sample flattened to one row."""
        if name not in self.flat_cache:
            A = getattr(self, name)
            self.flat_cache[name] = A.reshape(len(A), -1)
        return self.flat_cache[name]


@dataclass(frozen=True)
class Dataset:
    """A data set: how to load it once per process and split it per seed.

    Parameters
    ----------
    name : str
        Tells data sets apart (a process keeps each loaded once).
    load : callable
        ``load(data_path) -> data``; ``data_path`` is the command's
        ``--data-path`` (None when not given), for data sets read from a file.
    split : callable
        ``split(data, settings, seed) -> Split``.
    """

    name: str
    load: Callable[[str | None], object]
    split: Callable[[object, object, int], Split]


@dataclass(frozen=True)
class Profile:
    """What is trained, on how much data, for how long, on which seeds.

    ``settings`` is a dataclass: a hash of its fields names the cache folder,
    so changing one starts a fresh set of runs instead of mixing results.
    The seeds do not enter the hash: more seeds add runs to the same folder.
    ``dataset`` may be None when every row carries its own.
    """

    dataset: Dataset | None
    settings: object
    seeds: tuple[int, ...] | Mapping[str, tuple[int, ...]]
    description: str
    jobs: int = 1  # default --jobs: runs at a time (capped by the cores)

    def seeds_of(self, row: Row) -> tuple[int, ...]:
        """The row's seeds: ``seeds``, or ``seeds[<the row's data set>]``.

        A mapping gives each data set its own seeds (splits), for a profile
        whose rows carry their data sets; a data set it does not name gets
        none.
        """
        if not isinstance(self.seeds, Mapping):
            return tuple(self.seeds)
        dataset = row.dataset or self.dataset
        return tuple(self.seeds.get(dataset.name, ()))


@dataclass(frozen=True)
class Row:
    """One method of the table.

    Parameters
    ----------
    name : str
        Shown in the table.
    make : callable
        ``make(ctx: RunContext) -> estimator``, a fresh unfitted estimator.
    paper : tuple of (float, float) or None
        The reference's test error % (mean, sd), shown beside ours.
    flat : bool
        Fit and predict on flattened samples (n, n_features).
    y_true : bool
        Pass the ground truth as ``fit(X, y, y_true=...)`` (the oracle).
    negatives : bool
        After the fit, measure the fitted NS3L selector's negatives on the
        pool (share that are the true class, count per sample; see
        ``_runner.negative_diagnostics``).
    note : str
        Shown under the table.
    dataset : Dataset or None
        The row's data set; None: the profile's.
    measure : callable or None
        ``measure(estimator, split, pred) -> dict``: further measurements of
        the fitted estimator and its test predictions (balanced accuracy,
        per-class recall, ...), kept in the run's record as ``"measures"``.
    """

    name: str
    make: Callable[[RunContext], object]
    paper: tuple[float, float] | None = None
    flat: bool = False
    y_true: bool = False
    negatives: bool = False
    note: str = ""
    dataset: Dataset | None = None
    measure: Callable | None = None

    @property
    def slug(self) -> str:
        return slugify(self.name)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


@dataclass(frozen=True)
class Catalogue:
    """A benchmark: its profiles, its rows, and how its outputs name them.

    Parameters
    ----------
    name : str
        The outputs are ``<name>_<profile>.md``, ``.png`` and ``.json``.
    script : str
        The command that runs it, named in the outputs.
    summary : str
        One line, for ``--help``.
    title : str
        The markdown's heading (``<title>: profile `<profile>```).
    plot_title : str
        The plot's title, formatted with ``profile``.
    xlabel : str
        The plot's axis.
    profiles : mapping of str to Profile
    rows : tuple of Row
        In the table's order.
    baseline : str
        The row every other row is compared with, seed by seed.
    comparisons : tuple of (str, str)
        Further paired differences listed under the table: (row, other).
    paper : str or None
        What the rows' ``paper`` numbers are, said above the table; None: no
        such column.
    paper_label : str
        Their legend in the plot.
    default_profiles : tuple of str
        Run when no ``--profile`` is given.
    default_rows : mapping of str to tuple of str
        Per profile, the rows run when no ``--rows`` is given; every row for
        a profile not listed.
    report : callable or None
        ``report(catalogue, profile, runs, out_dir) -> list of Path``, the
        outputs written from the runs; None: ``_report.write_outputs``.
    """

    name: str
    script: str
    summary: str
    title: str
    plot_title: str
    xlabel: str
    profiles: Mapping[str, Profile]
    rows: tuple[Row, ...]
    baseline: str = SUPERVISED
    comparisons: tuple[tuple[str, str], ...] = ()
    paper: str | None = None
    paper_label: str = "paper"
    default_profiles: tuple[str, ...] = ("cpu",)
    default_rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    report: Callable | None = None

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def select_rows(self, tokens: list[str] | None) -> list[Row]:
        """Rows by exact name or slug (case-insensitive), else by substring."""
        if not tokens:
            return list(self.rows)
        chosen: list[Row] = []
        for token in tokens:
            t = token.strip().lower()
            exact = [r for r in self.rows if t in (r.name.lower(), r.slug)]
            hits = exact or [r for r in self.rows if t in r.name.lower() or t in r.slug]
            if not hits:
                names = "\n  ".join(r.name for r in self.rows)
                raise SystemExit(f"--rows: no row matches {token!r}. Rows:\n  {names}")
            chosen += [r for r in hits if r not in chosen]
        return [r for r in self.rows if r in chosen]  # table order

    def default_rows_of(self, profile: str) -> list[Row]:
        names = self.default_rows.get(profile)
        return list(self.rows) if names is None else [self.row(n) for n in names]
