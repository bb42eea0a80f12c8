"""The ctypes binding of libbackprop.so.0: structs, prototypes, errors.

Which library is loaded: the path in the environment variable
BACKPROP_LIBRARY if set (the tests point it at the build tree), else the
library installed with this package (recorded by Meson in _config.py: the
copy inside the package for a wheel, the one in libdir for `meson
install`), else whatever the dynamic linker finds as libbackprop.so.0.
"""

import ctypes
import os

try:
    from . import _config
except ImportError:  # running from the source tree without Meson
    _config = None

c_size = ctypes.c_size_t
c_float_p = ctypes.POINTER(ctypes.c_float)
c_u32_p = ctypes.POINTER(ctypes.c_uint32)


def _reserved(words):
    """A struct's trailing reserved space (include/backprop.h, "ABI policy"):
    `words` uint64_t, left zero as ctypes makes them."""
    return ("reserved", ctypes.c_uint64 * words)


def installed_path(path):
    """A library path from _config.py: a relative one is relative to this
    package's directory (a wheel's copy), an absolute one stays."""
    if not path:
        return None
    return path if os.path.isabs(path) else os.path.join(os.path.dirname(__file__), path)


def _source_tree_hint():
    """When this package is the source tree's python/backprop: the built
    libraries there (build*/src/libbackprop.so.0), or None."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.exists(os.path.join(top, "meson.build")):
        return None
    try:
        builds = sorted(entry for entry in os.listdir(top) if entry.startswith("build"))
    except OSError:
        return None
    built = [os.path.join(top, entry, "src", "libbackprop.so.0") for entry in builds]
    return top, [path for path in built if os.path.exists(path)]


def _what_to_do():
    steps = ["install the package with its library: `pip install .` (or `python3 -m pip "
             "install --no-build-isolation .`) or `meson install` from the source tree",
             "or set BACKPROP_LIBRARY=/path/to/libbackprop.so.0"]
    hint = _source_tree_hint()
    if hint is not None:
        top, built = hint
        if built:
            steps.append(f"(this source tree has one: BACKPROP_LIBRARY={built[0]})")
        else:
            steps.append(f"or build the library first: `meson setup build && ninja -C build` in "
                         f"{top}, then BACKPROP_LIBRARY={os.path.join(top, 'build', 'src')}"
                         "/libbackprop.so.0")
    return "; ".join(steps)


class LibraryNotFound(ImportError):
    """libbackprop.so.0 could not be loaded: the message says what was
    tried and what to do (install, set BACKPROP_LIBRARY, or build)."""


def _load():
    candidates = []
    if os.environ.get("BACKPROP_LIBRARY"):
        candidates.append(os.environ["BACKPROP_LIBRARY"])
    if _config is not None and _config.LIBRARY:
        candidates.append(installed_path(_config.LIBRARY))
    candidates.append("libbackprop.so.0")
    errors = []
    for path in candidates:
        if os.sep in path and not os.path.exists(path):
            errors.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise LibraryNotFound("backprop: cannot load libbackprop.so.0 (" + "; ".join(errors) +
                          "). To fix it: " + _what_to_do())


lib = _load()

# ---- errors ----

class BackpropError(Exception):
    """A libbackprop call failed: `code` is the BP_E* value, `name` its name
    ("BP_EINVAL") and `message` what bp_errmsg() said."""

    def __init__(self, code, message):
        self.code = code
        self.name = lib.bp_err_name(code).decode()
        self.message = message
        super().__init__(f"{self.name}: {message}")


# Each code is also the Python exception a caller would expect, so that
# `except ValueError` catches a bad argument.
class InvalidArgumentError(BackpropError, ValueError):
    pass


class NonFiniteError(BackpropError, ValueError):
    pass


class FileFormatError(BackpropError, ValueError):
    pass


class BackpropIOError(BackpropError, OSError):
    def __init__(self, code, message):
        BackpropError.__init__(self, code, message)


class BackpropMemoryError(BackpropError, MemoryError):
    pass


_ERROR_CLASSES = {
    -1: InvalidArgumentError, -2: BackpropMemoryError, -3: InvalidArgumentError,
    -4: InvalidArgumentError, -5: InvalidArgumentError, -6: BackpropIOError,
    -7: FileFormatError, -8: FileFormatError, -9: NonFiniteError,
}


def error(code):
    """The exception for a failed call's code, carrying bp_errmsg()."""
    message = lib.bp_errmsg().decode(errors="replace")
    return _ERROR_CLASSES.get(code, BackpropError)(code, message)


def check(code):
    if code != 0:
        raise error(code)
    return code


# ---- structs (include/backprop.h) ----


class Layer(ctypes.Structure):
    _fields_ = [("inputs", c_size), ("outputs", c_size), ("activation", ctypes.c_int),
                ("weights", c_float_p), ("bias", c_float_p),
                ("weight_grads", c_float_p), ("bias_grads", c_float_p), _reserved(4)]


class OptimizerConfig(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("learning_rate", ctypes.c_float),
                ("momentum", ctypes.c_float), ("beta1", ctypes.c_float),
                ("beta2", ctypes.c_float), ("epsilon", ctypes.c_float),
                ("weight_decay", ctypes.c_float), ("schedule", ctypes.c_int),
                ("step_size", ctypes.c_uint64), ("gamma", ctypes.c_float),
                ("total_steps", ctypes.c_uint64), _reserved(8)]


class Dataset(ctypes.Structure):
    _fields_ = [("count", c_size), ("features", c_size), ("classes", c_size),
                ("inputs", c_float_p), ("labels", c_u32_p), ("outputs", c_size),
                ("targets", c_float_p), ("class_names", ctypes.POINTER(ctypes.c_char_p)),
                ("header", c_size), ("feature_names", ctypes.POINTER(ctypes.c_char_p)),
                ("output_names", ctypes.POINTER(ctypes.c_char_p)),
                ("skipped_names", ctypes.POINTER(ctypes.c_char_p)), _reserved(4)]


class Scaler(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("columns", c_size), ("offset", c_float_p),
                ("scale", c_float_p), _reserved(4)]


class Preprocessing(ctypes.Structure):
    _fields_ = [("task", ctypes.c_int), ("inputs", Scaler), ("targets", Scaler),
                ("classes", c_size), ("class_names", ctypes.POINTER(ctypes.c_char_p)),
                _reserved(4)]


class Schema(ctypes.Structure):
    _fields_ = [("input_names", ctypes.POINTER(ctypes.c_char_p)),
                ("output_names", ctypes.POINTER(ctypes.c_char_p)),
                ("skipped_columns", c_size), _reserved(5)]


class EpochReport(ctypes.Structure):
    _fields_ = [("epoch", c_size), ("epochs", c_size), ("train_loss", ctypes.c_double),
                ("train_accuracy", ctypes.c_double), ("test_loss", ctypes.c_double),
                ("test_accuracy", ctypes.c_double), ("seconds", ctypes.c_double)]


EpochCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(EpochReport), ctypes.c_void_p)


class TrainOptions(ctypes.Structure):
    _fields_ = [("epochs", c_size), ("batch_size", c_size), ("seed", ctypes.c_uint64),
                ("on_batch", ctypes.c_void_p), ("on_epoch", EpochCallback),
                ("user", ctypes.c_void_p), ("first_epoch", c_size),
                ("collective", ctypes.c_void_p), ("workers", c_size), _reserved(8)]


class Plan(ctypes.Structure):
    """bp_plan: a kernel set, workers x BLAS threads, and how it was chosen."""
    _fields_ = [("kernels", ctypes.c_int), ("measured", ctypes.c_int32), ("workers", c_size),
                ("blas_threads", ctypes.c_int), ("cores", c_size),
                ("step_seconds", ctypes.c_double), _reserved(4)]


def as_dict(struct):
    """A mirror's fields by name, without its reserved space."""
    return {name: getattr(struct, name) for name, _ in struct._fields_ if name != "reserved"}


# The bp_struct_id of each mirror above, the library's sizes to check them by.
STRUCT_LAYER = 1
STRUCT_OPTIMIZER_CONFIG = 3
STRUCT_DATASET = 4
STRUCT_SCALER = 6
STRUCT_EPOCH_REPORT = 8
STRUCT_TRAIN_OPTIONS = 10
STRUCT_PREPROCESSING = 13
STRUCT_SCHEMA = 14
STRUCT_PLAN = 15
MIRRORS = {
    STRUCT_LAYER: Layer, STRUCT_OPTIMIZER_CONFIG: OptimizerConfig, STRUCT_DATASET: Dataset,
    STRUCT_SCALER: Scaler, STRUCT_EPOCH_REPORT: EpochReport, STRUCT_TRAIN_OPTIONS: TrainOptions,
    STRUCT_PREPROCESSING: Preprocessing, STRUCT_SCHEMA: Schema, STRUCT_PLAN: Plan,
}


class LayoutMismatch(ImportError):
    """A ctypes mirror of a struct differs in size from the struct in the
    library loaded: passing it would read or write the wrong bytes."""


def check_layouts(size_of, mirrors, library="libbackprop"):
    """Compares ctypes.sizeof of each mirror ({struct id: class}) with
    size_of(id), the size the loaded library reports (bp_struct_size), and
    raises LayoutMismatch naming every one that differs."""
    wrong = []
    for which, mirror in mirrors.items():
        theirs, ours = size_of(which), ctypes.sizeof(mirror)
        if theirs != ours:
            wrong.append(f"{mirror.__name__} (struct id {which}) is {ours} bytes here, "
                         f"{theirs} in the library" + (" (unknown id)" if theirs == 0 else ""))
    if wrong:
        raise LayoutMismatch(f"backprop: the Python package does not match the {library} it "
                             "loaded (another version?): " + "; ".join(wrong))


# ---- prototypes ----

_vp = ctypes.c_void_p
_int = ctypes.c_int
_PROTOTYPES = {
    "bp_version": (ctypes.c_char_p, []),
    "bp_version_number": (ctypes.c_uint, []),
    "bp_struct_size": (c_size, [_int]),
    "bp_err_name": (ctypes.c_char_p, [_int]),
    "bp_strerror": (ctypes.c_char_p, [_int]),
    "bp_errmsg": (ctypes.c_char_p, []),
    "bp_net_create": (_int, [ctypes.POINTER(_vp), c_size, ctypes.POINTER(c_size),
                             ctypes.POINTER(_int), _int, ctypes.c_uint64]),
    "bp_net_destroy": (None, [_vp]),
    "bp_net_reserve": (_int, [_vp, c_size]),
    "bp_net_forward": (_int, [_vp, _vp, c_size, ctypes.POINTER(c_float_p)]),
    "bp_net_gradient": (_int, [_vp, _vp, _vp, c_size, ctypes.POINTER(ctypes.c_float)]),
    "bp_net_step": (_int, [_vp, ctypes.c_float]),
    "bp_net_train_step": (_int, [_vp, _vp, _vp, c_size, ctypes.c_float,
                                 ctypes.POINTER(ctypes.c_float)]),
    "bp_net_set_loss": (_int, [_vp, _int]),
    "bp_net_loss": (_int, [_vp]),
    "bp_net_set_inference": (_int, [_vp, _int]),
    "bp_net_inference": (_int, [_vp]),
    "bp_net_cost": (_int, [_vp, _vp, _vp, c_size, ctypes.POINTER(ctypes.c_float),
                           ctypes.POINTER(c_float_p)]),
    "bp_net_params": (_int, [_vp, ctypes.POINTER(c_float_p), ctypes.POINTER(c_size)]),
    "bp_net_grads": (_int, [_vp, ctypes.POINTER(c_float_p), ctypes.POINTER(c_size)]),
    "bp_net_layer": (_int, [_vp, c_size, ctypes.POINTER(Layer)]),
    "bp_net_num_layers": (c_size, [_vp]),
    "bp_net_num_inputs": (c_size, [_vp]),
    "bp_net_num_outputs": (c_size, [_vp]),
    "bp_net_num_params": (c_size, [_vp]),
    "bp_net_max_batch": (c_size, [_vp]),
    "bp_net_memory_bytes": (c_size, [_vp]),
    "bp_net_initialize": (_int, [_vp, _int, ctypes.c_uint64]),
    "bp_net_predict": (_int, [_vp, _vp, c_size, _vp]),
    "bp_net_predict_output": (_int, [_vp, _vp, c_size, _int, _vp]),
    "bp_net_save": (_int, [_vp, ctypes.c_char_p]),
    "bp_net_save_memory": (_int, [_vp, _vp, c_size, ctypes.POINTER(c_size)]),
    "bp_net_load": (_int, [ctypes.POINTER(_vp), ctypes.c_char_p, _int]),
    "bp_net_load_memory": (_int, [ctypes.POINTER(_vp), _vp, c_size, _int]),
    "bp_optimizer_config_default": (None, [ctypes.POINTER(OptimizerConfig), _int]),
    "bp_optimizer_create": (_int, [ctypes.POINTER(_vp), _vp, ctypes.POINTER(OptimizerConfig)]),
    "bp_optimizer_destroy": (None, [_vp]),
    "bp_optimizer_step": (_int, [_vp, _vp]),
    "bp_optimizer_learning_rate": (ctypes.c_float, [_vp]),
    "bp_optimizer_steps": (ctypes.c_uint64, [_vp]),
    "bp_optimizer_get_config": (ctypes.POINTER(OptimizerConfig), [_vp]),
    "bp_optimizer_save": (_int, [_vp, ctypes.c_char_p]),
    "bp_optimizer_save_memory": (_int, [_vp, _vp, c_size, ctypes.POINTER(c_size)]),
    "bp_optimizer_load": (_int, [_vp, ctypes.c_char_p]),
    "bp_optimizer_load_memory": (_int, [_vp, _vp, c_size]),
    "bp_train_options_default": (None, [ctypes.POINTER(TrainOptions)]),
    "bp_train": (_int, [_vp, _vp, ctypes.POINTER(Dataset), ctypes.POINTER(Dataset),
                        ctypes.POINTER(TrainOptions)]),
    "bp_net_set_preprocessing": (_int, [_vp, ctypes.POINTER(Preprocessing)]),
    "bp_net_preprocessing": (ctypes.POINTER(Preprocessing), [_vp]),
    "bp_net_set_schema": (_int, [_vp, ctypes.POINTER(Schema)]),
    "bp_net_schema": (ctypes.POINTER(Schema), [_vp]),
    "bp_blas_set_threads": (_int, [_int]),
    "bp_blas_threads": (_int, []),
    "bp_blas_core": (ctypes.c_char_p, []),
    "bp_kernels_available": (_int, [_int]),
    "bp_kernels_name": (ctypes.c_char_p, [_int]),
    "bp_kernels_core": (ctypes.c_char_p, [_int]),
    "bp_plan_measure": (_int, [_vp, ctypes.POINTER(OptimizerConfig), c_size, c_size,
                               ctypes.c_double, ctypes.POINTER(Plan)]),
    "bp_plan_parse": (_int, [ctypes.c_char_p, _vp, c_size, c_size, ctypes.POINTER(Plan)]),
    "bp_plan_format": (_int, [ctypes.POINTER(Plan), ctypes.c_char_p, c_size]),
    "bp_plan_apply": (_int, [_vp, ctypes.POINTER(Plan)]),
}
# The enums named by the header's BP_*_MAP lists: bp_T_name and bp_T_from_name.
NAMED_ENUMS = ("activation", "loss", "init", "optimizer_kind", "schedule", "kernels", "inference",
               "output")
for _kind in NAMED_ENUMS:
    _PROTOTYPES[f"bp_{_kind}_name"] = (ctypes.c_char_p, [_int])
    _PROTOTYPES[f"bp_{_kind}_from_name"] = (_int, [ctypes.c_char_p, ctypes.POINTER(_int)])

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

check_layouts(lib.bp_struct_size, MIRRORS)
