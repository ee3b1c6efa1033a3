"""A hyper-parameter search runs on a Dask cluster through joblib.

The cluster is a LocalCluster of two worker processes on the loopback
interface, as a stand-in for a real one: the estimator, the data and the
results cross process boundaries the same way.
"""

import os

import numpy as np
import pytest

pytest.importorskip(
    "distributed",
    reason="dask.distributed is not installed: pip install 'sklearn-ns3l[distributed]'",
)
import dask  # noqa: E402
import joblib  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from sklearn_ns3l import NS3LClassifier, labelled_accuracy_scorer  # noqa: E402


def _torch_threads():
    import torch

    return torch.get_num_threads()


#: Torch threads per worker: not 1, which is Dask's default and so what a
#: recipe that sets only part of it (OMP_NUM_THREADS without MKL_NUM_THREADS)
#: would leave.
WORKER_THREADS = 2


@pytest.fixture(scope="module")
def client():
    # torch sizes its thread pool when it is imported, from MKL_NUM_THREADS if
    # set and OMP_NUM_THREADS otherwise, so both must be in the worker's
    # environment before the process starts: the nanny's pre-spawn environment
    # is the place, as the user guide's scaling-out page shows. Dask's default
    # there sets both to 1.
    environ = "distributed.nanny.pre-spawn-environ"
    saved = {
        name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    with (
        dask.config.set(
            {
                f"{environ}.OMP_NUM_THREADS": WORKER_THREADS,
                f"{environ}.MKL_NUM_THREADS": WORKER_THREADS,
            }
        ),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit="2GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
    # The nanny writes its pre-spawn environment into this process's own
    # os.environ and leaves it there (distributed 2026.8): restored, so that
    # later tests' loky workers get joblib's thread caps, not Dask's.
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_workers_run_torch_on_the_threads_configured(client):
    # Each worker runs one task at a time, each task on the torch threads the
    # nanny's environment asked for, not Dask's default of 1.
    workers = list(client.scheduler_info()["workers"])
    assert len(workers) == 2
    per_worker = {
        w: client.submit(_torch_threads, workers=[w], pure=False).result()
        for w in workers
    }
    assert per_worker == {w: WORKER_THREADS for w in workers}


def test_grid_search_runs_on_the_cluster(client, digits_semi):
    X, y_semi, _ = digits_semi
    X = X.reshape(-1, 8, 8)
    search = GridSearchCV(
        NS3LClassifier("threshold", max_epochs=2, batch_size=32, random_state=0),
        {"T": [0.02, 0.08]},
        scoring=labelled_accuracy_scorer,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        n_jobs=-1,
    )
    with get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        search.fit(X, y_semi)

    # The 2 x 2 fits ran as tasks on the workers, not in this process.
    assert tasks.data, "no task reached the cluster"
    assert {t["worker"] for t in tasks.data} <= set(client.scheduler_info()["workers"])
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 2 and np.all((scores >= 0) & (scores <= 1))
    best = int(np.argmax(scores))
    assert search.best_params_ == search.cv_results_["params"][best]
    assert search.best_estimator_.selector_.T == search.best_params_["T"]
    assert search.predict(X[:5]).shape == (5,)
