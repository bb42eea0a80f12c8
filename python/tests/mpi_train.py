"""Run under mpirun -np 2 by Meson (not collected by pytest): backprop.mpi
on 2 ranks trains the model that backprop.train trains in one process, up
to the order of float sums."""

import sys

import numpy as np

import backprop
from backprop import mpi

backprop.set_blas_threads(1)
rng = np.random.default_rng(7)
x = rng.normal(size=(300, 6)).astype(np.float32)
labels = (x[:, 0] + x[:, 1] > 0).astype(np.uint32) + (x[:, 2] > 1)


def model():
    net = backprop.Net([6, 16, 3], ["tanh", "softmax"], loss="cross_entropy", seed=5)
    return net, backprop.Optimizer(net, "adam", learning_rate=0.01)


net, opt = model()
stats = mpi.train(net, opt, x, labels=labels, classes=3, epochs=3, batch_size=20, seed=11)
rank, size = mpi.rank(), mpi.size()
if stats["ranks"] != size or size != 2 or stats["steps"] != 3 * 15:
    print(f"rank {rank}: unexpected stats {stats}", file=sys.stderr)
    sys.exit(1)
alone, alone_opt = model()
backprop.train(alone, alone_opt, x, labels=labels, classes=3, epochs=3, batch_size=20, seed=11)
difference = float(np.max(np.abs(net.params - alone.params)))
scale = float(np.max(np.abs(alone.params)))
if not difference <= 1e-4 * scale:
    print(f"rank {rank}: 2 ranks differ from 1 process by {difference} (scale {scale})",
          file=sys.stderr)
    sys.exit(1)
print(f"rank {rank}: max |difference| {difference:.3g} of {scale:.3g}")
