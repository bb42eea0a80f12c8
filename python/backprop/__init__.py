"""backprop: multilayer perceptrons trained by libbackprop (C, OpenBLAS).

- backprop.Net, backprop.Optimizer: the NumPy API over the C library, with
  zero-copy views of the parameter and gradient blocks;
- backprop.MLPClassifier, backprop.MLPRegressor: scikit-learn estimators
  whose training runs in C;
- backprop.train: bp_train, the whole training loop in C, on NumPy arrays;
- backprop.mpi (where libbackprop-mpi was built): the same over MPI ranks;
- backprop.blas_core(): the OpenBLAS kernel set in use.
"""

from ._lib import BackpropError
from .net import (LayerView, Net, Optimizer, blas_core, blas_threads, set_blas_threads, train,
                  version)

__all__ = ["BackpropError", "LayerView", "Net", "Optimizer", "blas_core", "blas_threads",
           "set_blas_threads", "train", "version", "MLPClassifier", "MLPRegressor"]


def __getattr__(name):
    # The estimators import scikit-learn, which the NumPy API does not need.
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
