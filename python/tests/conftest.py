"""Shared settings of the package's tests: OpenBLAS on one thread, so that
results are repeatable and the tests share the machine's cores politely."""

import backprop

backprop.set_blas_threads(1)
