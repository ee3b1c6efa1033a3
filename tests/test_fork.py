"""A process forked after a fit trains too, instead of hanging in OpenMP."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sklearn_ns3l
from sklearn_ns3l import _fork

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

# A hang is what this guards against: each script runs in its own session
# under a time limit, and the whole group is killed when the limit passes.
TIME_LIMIT = 180

_PARENT_TRAINS_FIRST = """
import os, sys, time
import numpy as np, faiss, torch
from threadpoolctl import threadpool_info
from sklearn_ns3l import NS3LClassifier, NearestNeighbourSelector

# Two threads even on one core, so that the parent's OpenMP pools exist.
torch.set_num_threads(2)
faiss.omp_set_num_threads(2)
rng = np.random.RandomState(0)
X = rng.randn(240, 16).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
y[60:] = -1

def train():
    NS3LClassifier(max_epochs=2, random_state=0).fit(X, y)
    selector = NearestNeighbourSelector(index="HNSW32", random_state=0)
    selector.fit(X[:60], y[:60]).transform(X[60:])

train()
"""

_FORK_AND_TRAIN = """
pid = os.fork()
if pid == 0:
    openmp = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
    one = torch.get_num_threads() == 1 and faiss.omp_get_max_threads() == 1
    train()
    os._exit(0 if one and set(openmp) == {1} else 3)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    print("the forked child hung")
    sys.exit(2)
print("parent threads", torch.get_num_threads(), faiss.omp_get_max_threads())
sys.exit(os.waitstatus_to_exitcode(status))
"""

_GRID_SEARCH_ON_FORKED_WORKERS = """
import joblib
from sklearn.model_selection import GridSearchCV

search = GridSearchCV(
    NS3LClassifier(max_epochs=2, random_state=0),
    {"ns_weight": [0.5, 1.0]},
    cv=2,
    n_jobs=2,
)
with joblib.parallel_config(backend="multiprocessing"):
    search.fit(X, y)
print("best", search.best_params_)
"""


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(sklearn_ns3l.__file__).parents[1]))
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the script and its workers
        process.communicate()
        pytest.fail(f"no result after {TIME_LIMIT} s: a forked process hung")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_child_forked_after_a_fit_trains_on_one_thread():
    result = _run(_PARENT_TRAINS_FIRST + _FORK_AND_TRAIN)
    assert result.returncode != 2, "the forked child hung"
    assert result.returncode != 3, "the child's thread pools were not at 1 thread"
    assert result.returncode == 0, result.stderr
    # The parent keeps its threads.
    assert "parent threads 2 2" in result.stdout


def test_grid_search_on_forked_workers_after_a_fit_finishes():
    result = _run(_PARENT_TRAINS_FIRST + _GRID_SEARCH_ON_FORKED_WORKERS)
    assert result.returncode == 0, result.stderr
    assert "best {'ns_weight'" in result.stdout


def test_the_hooks_are_registered_once_at_import():
    assert _fork._registered
    assert _fork.register_fork_hooks() is False  # importing again adds none
