"""One thread per OpenMP pool in a forked child, so that it cannot hang.

GNU OpenMP (libgomp, which torch and FAISS ship) is not fork-safe: once the
parent has run a parallel region, its thread pool exists in the child's
memory but not its threads, and the child's first parallel region with more
than one thread waits for them forever. joblib's "multiprocessing" backend,
``multiprocessing.Pool`` and many job runners fork on Linux, so a
``GridSearchCV`` run after one ``fit`` in the parent would hang. A parallel
region of one thread uses no pool, hence the hook below.

Registered once, at package import, through :func:`os.register_at_fork`.
Processes started by ``spawn``, ``forkserver`` or joblib's default loky
backend are fresh interpreters and are not affected.
"""

from __future__ import annotations

import os
import sys

from threadpoolctl import ThreadpoolController

__all__ = ["one_thread_in_child", "register_fork_hooks"]

# Thread-pool controllers found in the parent just before a fork: looking
# them up walks the loaded libraries, which is best not done in the child.
_controllers: list = []
_registered = False


def register_fork_hooks() -> bool:
    """Register :func:`one_thread_in_child` to run in every forked child.

    Returns
    -------
    registered : bool
        True the first time, False if already registered (the hooks cannot
        be removed, so they are registered at most once per process) or if
        the platform has no ``fork``.
    """
    global _registered
    if _registered or not hasattr(os, "register_at_fork"):
        return False
    os.register_at_fork(before=_find_openmp_pools, after_in_child=one_thread_in_child)
    _registered = True
    return True


def one_thread_in_child() -> None:
    """Put torch, FAISS and every OpenMP thread pool on one thread.

    Run in a forked child: torch's intra-op threads (and its MKL), FAISS's
    OpenMP threads, and, through threadpoolctl, each OpenMP runtime and each
    OpenMP-threaded BLAS that was loaded in the parent (faiss-cpu wheels ship
    one). BLAS libraries threaded with pthreads (numpy's OpenBLAS) handle
    fork themselves and keep their thread count.

    Raising a count again in the child (``torch.set_num_threads(4)``) brings
    the hang back; processes that need threads should be started with
    ``spawn`` or ``forkserver``, or by joblib's default backend.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        _quietly(torch.set_num_threads, 1)
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        _quietly(faiss.omp_set_num_threads, 1)
    for controller in _controllers:
        _quietly(controller.set_num_threads, 1)


def _find_openmp_pools() -> None:
    global _controllers
    try:
        found = ThreadpoolController().lib_controllers
    except Exception:  # noqa: BLE001 - a fork must go ahead regardless
        found = []
    _controllers = [
        c
        for c in found
        if c.user_api == "openmp" or getattr(c, "threading_layer", None) == "openmp"
    ]


def _quietly(set_threads, n: int) -> None:
    # An exception in an at-fork hook is only printed, and the child must go
    # on either way; a library that refuses is left as it is.
    try:
        set_threads(n)
    except Exception:  # noqa: BLE001
        pass
