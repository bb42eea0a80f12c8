"""Data-parallel training over MPI through libbackprop-mpi, where Meson
built it (Open MPI or MPICH). Run the program under mpirun; every rank
calls train() with the same network shape, optimizer and options.

    mpirun -np 2 /usr/bin/python3 program.py
"""

import atexit
import ctypes
import ctypes.util
import os

from . import _lib
from .net import _dataset, train_options

try:
    from . import _config
except ImportError:
    _config = None


class MPIUnavailable(ImportError):
    pass


def _load():
    name = ctypes.util.find_library("mpi")
    if name is None:
        raise MPIUnavailable("no MPI library (libmpi) found")
    # Open MPI's components look up libmpi's symbols: it must be global.
    libmpi = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
    candidates = [os.environ.get("BACKPROP_MPI_LIBRARY"),
                  _lib.installed_path(getattr(_config, "MPI_LIBRARY", None)),
                  "libbackprop-mpi.so.0"]
    errors = []
    for path in filter(None, candidates):
        try:
            return libmpi, ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise MPIUnavailable("cannot load libbackprop-mpi.so.0 (" + "; ".join(errors) + ")")


libmpi, lib = _load()

try:  # Open MPI: MPI_COMM_WORLD is the address of a global
    COMM_WORLD = ctypes.c_void_p(ctypes.addressof(ctypes.c_char.in_dll(libmpi,
                                                                       "ompi_mpi_comm_world")))
except ValueError:  # MPICH: an integer handle
    COMM_WORLD = ctypes.c_void_p(0x44000000)


class MPIOptions(ctypes.Structure):
    _fields_ = [("train", _lib.TrainOptions), ("bucket_bytes", ctypes.c_size_t),
                ("sharded", ctypes.c_int), _lib._reserved(4)]


class MPIStats(ctypes.Structure):
    _fields_ = [("ranks", ctypes.c_int), ("buckets", ctypes.c_size_t),
                ("bytes_per_step", ctypes.c_size_t), ("steps", ctypes.c_uint64),
                ("wait_seconds", ctypes.c_double), ("last_wait_seconds", ctypes.c_double),
                _lib._reserved(4)]


lib.bp_mpi_options_default.restype = None
lib.bp_mpi_options_default.argtypes = [ctypes.POINTER(MPIOptions)]
lib.bp_mpi_train.restype = ctypes.c_int
lib.bp_mpi_train.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(_lib.Dataset),
                             ctypes.POINTER(_lib.Dataset), ctypes.POINTER(MPIOptions),
                             ctypes.c_void_p, ctypes.POINTER(MPIStats)]
lib.bp_mpi_errmsg.restype = ctypes.c_char_p
lib.bp_mpi_errmsg.argtypes = []
lib.bp_mpi_struct_size.restype = ctypes.c_size_t
lib.bp_mpi_struct_size.argtypes = [ctypes.c_int]

# bp_mpi_struct_id: the library's sizes of the two mirrors above.
_lib.check_layouts(lib.bp_mpi_struct_size, {1: MPIOptions, 2: MPIStats}, "libbackprop-mpi")


def init():
    """MPI_Init, once (MPI_Finalize at exit)."""
    flag = ctypes.c_int()
    libmpi.MPI_Initialized(ctypes.byref(flag))
    if not flag.value:
        if libmpi.MPI_Init(None, None) != 0:
            raise RuntimeError("MPI_Init failed")
        atexit.register(_finalize)


def _finalize():
    flag = ctypes.c_int()
    libmpi.MPI_Finalized(ctypes.byref(flag))
    if not flag.value:
        libmpi.MPI_Finalize()


def rank():
    init()
    value = ctypes.c_int()
    libmpi.MPI_Comm_rank(COMM_WORLD, ctypes.byref(value))
    return value.value


def size():
    init()
    value = ctypes.c_int()
    libmpi.MPI_Comm_size(COMM_WORLD, ctypes.byref(value))
    return value.value


def train(net, optimizer, inputs, labels=None, targets=None, classes=None, epochs=10,
          batch_size=32, seed=1, sharded=False, bucket_bytes=None, on_epoch=None):
    """bp_mpi_train over MPI_COMM_WORLD: every rank trains its own copy of
    the model on its share of each global batch of batch_size, the gradient
    summed by allreduce; all ranks end with the same parameters. With
    sharded, each rank's (inputs, labels/targets) is its own shard; else
    every rank passes the whole set. Returns bp_mpi_stats as a dict."""
    init()
    data, keep = _dataset(inputs, labels, targets, classes)
    options = MPIOptions()
    lib.bp_mpi_options_default(ctypes.byref(options))
    train, callback = train_options(epochs, batch_size, seed, 0, 0, on_epoch)
    options.train = train
    options.sharded = 1 if sharded else 0
    if bucket_bytes is not None:
        options.bucket_bytes = int(bucket_bytes)
    stats = MPIStats()
    with net._lock:
        rc = lib.bp_mpi_train(net._live(), optimizer._handle, ctypes.byref(data), None,
                              ctypes.byref(options), COMM_WORLD, ctypes.byref(stats))
    if rc not in (0, -10):
        message = lib.bp_mpi_errmsg().decode(errors="replace")
        raise _lib._ERROR_CLASSES.get(rc, _lib.BackpropError)(rc, message)
    return _lib.as_dict(stats)
