"""The NumPy API over libbackprop: networks, optimizers, the OpenBLAS core."""

import ctypes
import itertools
import os
import threading
import weakref

import numpy as np

from . import _lib
from ._lib import check, lib

def _names(kind):
    """{name: value} of a library enum, from bp_<kind>_name (the header's
    BP_*_MAP lists, whose values run from 0 without a gap), spelt with '_'
    for the library's '-' ("cross_entropy")."""
    name_of = getattr(lib, f"bp_{kind}_name")
    table = {}
    for value in itertools.count():
        name = name_of(value)
        if name is None:
            return table
        table[name.decode().replace("-", "_")] = value


ACTIVATIONS = _names("activation")
LOSSES = _names("loss")
KERNELS = _names("kernels")
INFERENCES = _names("inference")
INITS = _names("init")
OPTIMIZERS = _names("optimizer_kind")
SCHEDULES = _names("schedule")
OUTPUTS = _names("output")
_TABLES = {"activation": ACTIVATIONS, "loss": LOSSES, "kernels": KERNELS,
           "inference": INFERENCES, "init": INITS, "optimizer_kind": OPTIMIZERS,
           "schedule": SCHEDULES, "output": OUTPUTS}


def _name(kind, value):
    """The Python spelling of the library's name for value."""
    return getattr(lib, f"bp_{kind}_name")(value).decode().replace("-", "_")


def _choice(kind, value, what):
    """The value of a library enum from its name (bp_<kind>_from_name, which
    takes the Python spelling as the name's alias) or its number."""
    table = _TABLES[kind]
    if isinstance(value, str):
        out = ctypes.c_int()
        from_name = getattr(lib, f"bp_{kind}_from_name")
        if "\0" not in value and from_name(value.encode(), ctypes.byref(out)) == 0:
            return out.value
        raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(table)}")
    return _pick(table, value, what)


def _pick(table, value, what):
    """value, a number of table's values, or the value of its name in table."""
    if isinstance(value, str) and value in table:
        return table[value]
    if isinstance(value, (int, np.integer)) and int(value) in table.values():
        return int(value)
    raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(table)}")


def as_float32(a, name, ndim=2):
    """a as a C-contiguous float32 array: the array itself when it already
    is one (no copy), else one converted copy."""
    a = np.asarray(a)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name} must be numeric, not of dtype {a.dtype}")
    if a.ndim == 1 and ndim == 2:
        a = a.reshape(1, -1)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, not {a.ndim}")
    return np.ascontiguousarray(a, dtype=np.float32)


def _ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


def _view(address, shape, owner):
    """A float32 array over library memory at address, keeping owner (the
    Net) alive as long as the array lives, and known to it (Net.close does
    not free memory a live view points into)."""
    count = int(np.prod(shape))
    if count == 0:
        return np.zeros(shape, dtype=np.float32)
    buffer = (ctypes.c_float * count).from_address(address)
    buffer._owner = owner  # the view's base holds the network
    array = np.frombuffer(buffer, dtype=np.float32, count=count)
    owner._track(array)  # every later view of it (reshape, .T, slices) keeps it alive
    return array.reshape(shape)


def blas_core():
    """The OpenBLAS kernel set in use ("Haswell", "Cooperlake", ...)."""
    return lib.bp_blas_core().decode()


def blas_threads():
    """The number of threads OpenBLAS uses inside each product."""
    return lib.bp_blas_threads()


def set_blas_threads(threads):
    """Sets OpenBLAS's thread count for the whole process."""
    check(lib.bp_blas_set_threads(int(threads)))


def version():
    """The version of the libbackprop actually loaded."""
    return lib.bp_version().decode()


class LayerView:
    """One layer's zero-copy views: weights (outputs x inputs, row-major,
    w_jk from neuron k of the layer below to neuron j), bias, and their
    gradients. Writing them changes the network."""

    def __init__(self, net, index):
        layer = _lib.Layer()
        check(net._call(lib.bp_net_layer, index, ctypes.byref(layer)))
        shape = (layer.outputs, layer.inputs)
        address = ctypes.addressof(layer.weights.contents)
        self.inputs, self.outputs = layer.inputs, layer.outputs
        self.activation = _name("activation", layer.activation)
        self.weights = _view(address, shape, net)
        self.bias = _view(ctypes.addressof(layer.bias.contents), (layer.outputs,), net)
        self.weight_grads = _view(ctypes.addressof(layer.weight_grads.contents), shape, net)
        self.bias_grads = _view(ctypes.addressof(layer.bias_grads.contents), (layer.outputs,), net)

    def __repr__(self):
        return f"LayerView({self.inputs} -> {self.outputs}, {self.activation})"


class Net:
    """A network of dense layers (bp_net), over the C library.

    Parameters
    ----------
    sizes : sequence of int
        n_0 (the inputs), n_1, ..., n_L: the width of each layer.
    activations : str or sequence of str
        One name per layer (or one for all): "identity", "sigmoid" (or
        "logistic"), "tanh", "relu", "leaky_relu", and "softmax" for the
        output layer only.
    loss : {"quadratic", "cross_entropy"}, default="quadratic"
        The cost: the sum of squares without a 1/2, or the cross-entropy of
        a softmax output computed from its logits.
    seed : int, default=0
        Seeds the initial weights (bp_net_create).
    kernels : {"openblas", "blis", "naive"}, default="openblas"
        The kernel set of the three products ("blis" where the library was
        built with BLIS).

    Attributes
    ----------
    sizes : list of int
        The widths, inputs first.
    activations : list of str
        Each layer's activation.
    num_layers, num_inputs, num_outputs, num_params : int
        The shape.
    params, grads : ndarray of float32
        The flat parameter and gradient blocks: zero-copy views (writing
        them changes the network).
    layers : list of LayerView
        Per-layer zero-copy views of W, b and their gradients.
    max_batch : int
        The batch the workspace holds (reserve).
    memory_bytes : int
        What the network holds in bytes.
    preprocessing : dict or None
        What the model file says is done to data around the network.

    Notes
    -----
    A view (params, grads, a LayerView's arrays and anything derived from
    them) keeps its network alive: the memory is freed when the last view
    and the Net are gone, and close() with a view alive only marks the Net
    closed. The calls on one Net are serialized by its lock, so threads may
    share it; close() takes the lock too, so it waits for a running call.
    """

    def __init__(self, sizes, activations, loss="quadratic", seed=0, kernels="openblas"):
        self._init_state(None)
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError("sizes needs the inputs and at least one layer")
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 1)
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, "
                             f"not {len(activations)}")
        if any(s < 1 for s in sizes):
            raise ValueError(f"every size must be at least 1: {sizes}")
        codes = [_choice("activation", a, "activation") for a in activations]
        handle = ctypes.c_void_p()
        check(lib.bp_net_create(ctypes.byref(handle), len(codes),
                                (ctypes.c_size_t * len(sizes))(*sizes),
                                (ctypes.c_int * len(codes))(*codes),
                                _choice("kernels", kernels, "kernel set"), int(seed) & (2**64 - 1)))
        self._handle = handle
        try:
            self.loss = loss
        except BaseException:
            self.close()
            raise

    def _init_state(self, handle):
        self._handle = handle
        self._closed = False
        # Reentrant: bp_train's epoch callback, run inside a call holding the
        # lock, reads the network's views through it.
        self._lock = threading.RLock()
        self._views = []  # weak references to the arrays over its memory

    @classmethod
    def _adopt(cls, handle):
        net = cls.__new__(cls)
        net._init_state(handle)
        return net

    def _track(self, array):
        self._views = [ref for ref in self._views if ref() is not None]
        self._views.append(weakref.ref(array))

    def _live_views(self):
        return sum(ref() is not None for ref in self._views)

    def _call(self, function, *args):
        """function(handle, *args) under the network's lock: close() in
        another thread cannot free the network during the call."""
        with self._lock:
            return function(self._live(), *args)

    def _live(self):
        """The handle, or ValueError once closed (never a NULL into C)."""
        if self._closed or not self._handle:
            raise ValueError("this Net is closed")
        return self._handle

    def close(self):
        """Closes the network: later calls raise ValueError. Takes the
        network's lock, so a call running in another thread finishes first.
        The memory is freed now, unless a view of it is alive: then when
        the last view goes (a view never points into freed memory)."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before any state
            return
        with lock:
            self._closed = True
            if self._live_views() == 0:
                self._destroy()

    def _destroy(self):
        if getattr(self, "_handle", None) and lib is not None:
            lib.bp_net_destroy(self._handle)
            self._handle = None

    def __del__(self):
        # Runs only when no view holds the network any more (each view's
        # buffer references it).
        self._destroy()

    # ---- shape ----

    @property
    def sizes(self):
        return [self.num_inputs] + [layer.outputs for layer in self.layers]

    @property
    def activations(self):
        return [layer.activation for layer in self.layers]

    @property
    def num_layers(self):
        return self._call(lib.bp_net_num_layers)

    @property
    def num_inputs(self):
        return self._call(lib.bp_net_num_inputs)

    @property
    def num_outputs(self):
        return self._call(lib.bp_net_num_outputs)

    @property
    def num_params(self):
        return self._call(lib.bp_net_num_params)

    @property
    def max_batch(self):
        return self._call(lib.bp_net_max_batch)

    @property
    def memory_bytes(self):
        return self._call(lib.bp_net_memory_bytes)

    @property
    def loss(self):
        return _name("loss", self._call(lib.bp_net_loss))

    @loss.setter
    def loss(self, value):
        check(self._call(lib.bp_net_set_loss, _choice("loss", value, "loss")))

    @property
    def inference(self):
        """How forward() computes (bp_net_set_inference): "batch" (sgemm; a
        row's last bits may depend on the batch around it) or "invariant"
        (each row the same bits alone, in any batch or order)."""
        return _name("inference", self._call(lib.bp_net_inference))

    @inference.setter
    def inference(self, value):
        with self._lock:
            check(self._call(lib.bp_net_set_inference, _choice("inference", value, "inference")))

    # ---- zero-copy views ----

    def _block(self, getter):
        pointer = _lib.c_float_p()
        count = ctypes.c_size_t()
        check(self._call(getter, ctypes.byref(pointer), ctypes.byref(count)))
        return _view(ctypes.addressof(pointer.contents), (count.value,), self)

    @property
    def params(self):
        """The flat parameter block (float32, no copy): each layer's W, then b."""
        return self._block(lib.bp_net_params)

    @property
    def grads(self):
        """The flat gradient block, laid out as params (no copy)."""
        return self._block(lib.bp_net_grads)

    @property
    def layers(self):
        """Per-layer views into params and grads."""
        return [LayerView(self, i) for i in range(self.num_layers)]

    # ---- computation ----

    def reserve(self, max_batch):
        """Workspace for batches of up to max_batch examples."""
        with self._lock:
            check(self._call(lib.bp_net_reserve, int(max_batch)))

    def _fit_batch(self, n):
        if n > self.max_batch:
            self.reserve(n)

    def _batch(self, inputs, targets=None):
        x = as_float32(inputs, "inputs")
        if x.shape[0] == 0:
            raise ValueError("inputs has no examples")
        if x.shape[1] != self.num_inputs:
            raise ValueError(f"inputs has {x.shape[1]} features; the network takes "
                             f"{self.num_inputs}")
        if targets is None:
            return x, None
        y = as_float32(targets, "targets")
        if y.shape != (x.shape[0], self.num_outputs):
            raise ValueError(f"targets has shape {y.shape}; expected "
                             f"{(x.shape[0], self.num_outputs)}")
        self._fit_batch(x.shape[0])
        return x, y

    def forward(self, inputs, output="activations", inference=None):
        """The outputs for a batch (n x n_0), as a new n x n_L float32 array
        (bp_net_predict_output): output="activations" (probabilities for a
        softmax output), "logits" (the output layer's z = W a + b before its
        activation) or "log_proba" (log-softmax of the logits, computed in
        double; softmax output only). Batches larger than the reserved
        workspace are computed in parts. inference: "batch" or "invariant"
        for this call only (see inference); None keeps the network's own."""
        kind = _choice("output", output, "output")
        x, _ = self._batch(inputs)
        out = np.empty((x.shape[0], self.num_outputs), dtype=np.float32)
        mode = None if inference is None else _choice("inference", inference, "inference")
        with self._lock:  # the calls share the network's workspace
            handle = self._live()
            previous = lib.bp_net_inference(handle)
            if mode is not None:
                check(lib.bp_net_set_inference(handle, mode))
            try:
                check(lib.bp_net_predict_output(handle, _ptr(x), x.shape[0], kind, _ptr(out)))
            finally:
                lib.bp_net_set_inference(handle, previous)
        return out

    def gradient(self, inputs, targets):
        """Stores the gradient of the batch cost in grads; returns the cost."""
        x, y = self._batch(inputs, targets)
        cost = ctypes.c_float()
        with self._lock:  # the calls share the network's workspace
            check(self._call(lib.bp_net_gradient, _ptr(x), _ptr(y), x.shape[0],
                                      ctypes.byref(cost)))
        return cost.value

    def cost(self, inputs, targets):
        """The batch cost, without the backward pass."""
        x, y = self._batch(inputs, targets)
        cost = ctypes.c_float()
        with self._lock:  # the calls share the network's workspace
            check(self._call(lib.bp_net_cost, _ptr(x), _ptr(y), x.shape[0], ctypes.byref(cost),
                                  None))
        return cost.value

    def train_step(self, inputs, targets, learning_rate):
        """One fused step of gradient descent on a batch; returns the cost
        before the step."""
        x, y = self._batch(inputs, targets)
        cost = ctypes.c_float()
        with self._lock:  # the calls share the network's workspace
            check(self._call(lib.bp_net_train_step, _ptr(x), _ptr(y), x.shape[0],
                                        float(learning_rate), ctypes.byref(cost)))
        return cost.value

    def step(self, learning_rate):
        """theta <- theta - learning_rate * grads."""
        check(self._call(lib.bp_net_step, float(learning_rate)))

    def initialize(self, init="uniform", seed=0):
        """Draws the parameters anew: "uniform", "xavier", "he", "orthogonal"."""
        check(self._call(lib.bp_net_initialize, _choice("init", init, "initializer"),
                                    int(seed) & (2**64 - 1)))

    # ---- preprocessing, saved in the model file ----

    @property
    def preprocessing(self):
        """What the model file says is done to data around the network
        (bp_net_preprocessing), as a dict, or None: task, input_offset and
        input_scale (per feature), target_offset and target_scale (per
        output), class_names."""
        with self._lock:  # the struct is the network's until it changes
            return self._read_preprocessing()

    def _read_preprocessing(self):
        pointer = self._call(lib.bp_net_preprocessing)
        if not pointer:
            return None
        p = pointer.contents

        def scaler(s):
            if s.columns == 0:
                return None, None, None
            return (np.ctypeslib.as_array(s.offset, (s.columns,)).copy(),
                    np.ctypeslib.as_array(s.scale, (s.columns,)).copy(),
                    "minmax" if s.kind == 0 else "standardize")

        offset, scale, kind = scaler(p.inputs)
        t_offset, t_scale, t_kind = scaler(p.targets)
        names = None
        if p.classes:
            names = [p.class_names[c].decode() for c in range(p.classes)]
        return {"task": "classification" if p.task == 0 else "regression",
                "input_offset": offset, "input_scale": scale, "input_kind": kind,
                "target_offset": t_offset, "target_scale": t_scale, "target_kind": t_kind,
                "class_names": names}

    def set_preprocessing(self, task="classification", input_offset=None, input_scale=None,
                          target_offset=None, target_scale=None, class_names=None,
                          kind="standardize"):
        """Attaches the preprocessing bp_net_save writes into the model file
        (bp_net_set_preprocessing), so that `backprop predict` and eval
        apply it: x <- (x - input_offset) * input_scale per feature, outputs
        mapped back by the target scaler (regression), class c named
        class_names[c]. task=None removes it."""
        if task is None:
            check(self._call(lib.bp_net_set_preprocessing, None))
            return
        p = _lib.Preprocessing()
        p.task = {"classification": 0, "regression": 1}.get(task, -1)
        if p.task < 0:
            raise ValueError(f"unknown task {task!r}; expected 'classification' or 'regression'")
        keep = []
        kind_code = {"minmax": 0, "standardize": 1}[kind]
        for scaler, offset, scale in ((p.inputs, input_offset, input_scale),
                                      (p.targets, target_offset, target_scale)):
            if offset is None and scale is None:
                continue
            offset = as_float32(offset, "offset", ndim=1)
            scale = as_float32(scale, "scale", ndim=1)
            if offset.shape != scale.shape:
                raise ValueError("offset and scale must have the same length")
            scaler.kind, scaler.columns = kind_code, offset.shape[0]
            scaler.offset = ctypes.cast(offset.ctypes.data, _lib.c_float_p)
            scaler.scale = ctypes.cast(scale.ctypes.data, _lib.c_float_p)
            keep += [offset, scale]
        if class_names is not None:
            # A NUL would end the name early on the C side: refuse it as
            # bp_net_set_preprocessing refuses every other control character.
            for c, name in enumerate(class_names):
                if "\0" in str(name):
                    raise _lib.InvalidArgumentError(
                        -1, f'bp_net_set_preprocessing: class name {c} ("{str(name)[:40]}") '
                            "holds a control character")
            names = [str(name).encode() for name in class_names]
            p.classes = len(names)
            p.class_names = (ctypes.c_char_p * len(names))(*names)
        check(self._call(lib.bp_net_set_preprocessing, ctypes.byref(p)))  # copied by C

    @property
    def schema(self):
        """The training file's columns kept in the model (bp_net_schema), as
        a dict, or None: input_names (one per input, or None), output_names
        (the label's, or one per target, or None), skipped_columns."""
        with self._lock:  # the struct is the network's until it changes
            return self._read_schema()

    def _read_schema(self):
        pointer = self._call(lib.bp_net_schema)
        if not pointer:
            return None
        s = pointer.contents

        def names(array, count):
            return [array[i].decode() for i in range(count)] if array else None

        outputs = 1 if self.preprocessing["task"] == "classification" else self.num_outputs
        return {"input_names": names(s.input_names, self.num_inputs),
                "output_names": names(s.output_names, outputs),
                "skipped_columns": int(s.skipped_columns)}

    def set_schema(self, input_names=None, output_names=None, skipped_columns=0):
        """Keeps the columns' names with the preprocessing (bp_net_set_schema),
        so that `backprop predict` and eval match a file's header by name.
        Call after set_preprocessing, which removes it."""
        s = _lib.Schema()
        keep = []
        prep = self.preprocessing
        outputs = 1 if prep is None or prep["task"] == "classification" else self.num_outputs
        for field, names, count in (("input_names", input_names, self.num_inputs),
                                    ("output_names", output_names, outputs)):
            if names is None:
                continue
            which = "input" if field == "input_names" else (
                "label" if prep is None or prep["task"] == "classification" else "target")
            if len(names) != count:
                raise ValueError(f"{len(names)} {field.replace('_', ' ')}; the network takes "
                                 f"{count}")
            for i, name in enumerate(names):
                if "\0" in str(name):
                    raise _lib.InvalidArgumentError(
                        -1, f'bp_net_set_schema: {which} name {i} ("{str(name)[:40]}") '
                            "holds a control character")
            encoded = [str(name).encode() for name in names] + [None]
            array = (ctypes.c_char_p * len(encoded))(*encoded)
            keep.append(array)
            setattr(s, field, ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p)))
        s.skipped_columns = int(skipped_columns)
        check(self._call(lib.bp_net_set_schema, ctypes.byref(s)))  # copied by C

    # ---- files and bytes ----

    def save(self, path):
        """Saves the model file atomically (bp_net_save)."""
        check(self._call(lib.bp_net_save, os.fsencode(path)))

    def to_bytes(self):
        """The model file's bytes (bp_net_save_memory)."""
        size = ctypes.c_size_t()
        check(self._call(lib.bp_net_save_memory, None, 0, ctypes.byref(size)))
        buffer = ctypes.create_string_buffer(size.value)
        check(self._call(lib.bp_net_save_memory, buffer, size.value, ctypes.byref(size)))
        return buffer.raw

    @classmethod
    def load(cls, path, kernels="openblas"):
        handle = ctypes.c_void_p()
        check(lib.bp_net_load(ctypes.byref(handle), os.fsencode(path),
                              _choice("kernels", kernels, "kernel set")))
        return cls._adopt(handle)

    @classmethod
    def from_bytes(cls, data, kernels="openblas"):
        data = bytes(data)
        handle = ctypes.c_void_p()
        check(lib.bp_net_load_memory(ctypes.byref(handle), data, len(data),
                                     _choice("kernels", kernels, "kernel set")))
        return cls._adopt(handle)

    def __reduce__(self):
        return (Net.from_bytes, (self.to_bytes(),))

    def __repr__(self):
        if self._closed or not self._handle:
            return "Net(closed)"
        return f"Net({self.sizes}, {self.activations}, loss={self.loss!r})"


class Optimizer:
    """An optimizer over one network's parameters (bp_optimizer).

    kind: "sgd", "momentum", "nesterov" or "adam". learning_rate defaults to
    0.01 (Adam 0.001); the other settings are those of bp_optimizer_config.
    """

    def __init__(self, net, kind="sgd", learning_rate=None, momentum=0.9, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, weight_decay=0.0, schedule="constant",
                 step_size=1, gamma=1.0, total_steps=1):
        config = _lib.OptimizerConfig()
        lib.bp_optimizer_config_default(ctypes.byref(config),
                                        _choice("optimizer_kind", kind, "optimizer"))
        if learning_rate is not None:
            config.learning_rate = learning_rate
        config.momentum, config.beta1, config.beta2 = momentum, beta1, beta2
        config.epsilon, config.weight_decay = epsilon, weight_decay
        config.schedule = _choice("schedule", schedule, "schedule")
        config.step_size, config.gamma, config.total_steps = step_size, gamma, total_steps
        handle = ctypes.c_void_p()
        with net._lock:
            check(lib.bp_optimizer_create(ctypes.byref(handle), net._live(), ctypes.byref(config)))
        self._handle = handle

    def close(self):
        if getattr(self, "_handle", None) and lib is not None:
            lib.bp_optimizer_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    def step(self, net):
        """One step on net's parameters with its gradient block."""
        with net._lock:
            check(lib.bp_optimizer_step(self._handle, net._live()))

    @property
    def steps(self):
        return lib.bp_optimizer_steps(self._handle)

    @property
    def learning_rate(self):
        """The rate the next step will use."""
        return lib.bp_optimizer_learning_rate(self._handle)

    @property
    def config(self):
        c = lib.bp_optimizer_get_config(self._handle).contents
        return _lib.as_dict(c)

    def save(self, path):
        check(lib.bp_optimizer_save(self._handle, os.fsencode(path)))

    def load(self, path):
        check(lib.bp_optimizer_load(self._handle, os.fsencode(path)))

    def to_bytes(self):
        size = ctypes.c_size_t()
        check(lib.bp_optimizer_save_memory(self._handle, None, 0, ctypes.byref(size)))
        buffer = ctypes.create_string_buffer(size.value)
        check(lib.bp_optimizer_save_memory(self._handle, buffer, size.value, ctypes.byref(size)))
        return buffer.raw

    def load_bytes(self, data):
        data = bytes(data)
        check(lib.bp_optimizer_load_memory(self._handle, data, len(data)))


def _class_numbers(labels):
    """labels as uint32 class numbers, refusing what a cast would change: a
    fraction (0.9 is not class 0), a negative number, NaN, a number past
    2^32 - 1, or text (map text labels to classes first)."""
    raw = np.asarray(labels)
    if raw.dtype.kind in "US" or raw.dtype == object:
        raise ValueError("labels are text; give class numbers 0 .. classes - 1 (a classifier "
                         "such as backprop.MLPClassifier maps text labels to classes)")
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"labels of dtype {raw.dtype}; give class numbers 0 .. classes - 1")
    if raw.dtype.kind in "iuf" and raw.size:
        flat = raw.ravel()
        wrong = ~np.isfinite(flat) | (flat < 0) | (flat > 2**32 - 1) if raw.dtype.kind == "f" \
            else (flat < 0) | (flat > 2**32 - 1)
        if raw.dtype.kind == "f":
            wrong |= np.isfinite(flat) & (flat != np.floor(flat))
        if wrong.any():
            i = int(np.argmax(wrong))
            raise ValueError(f"labels[{i}] is {flat[i]!r}: labels are class numbers 0 .. "
                             f"classes - 1 (whole numbers, not negative, not NaN)")
    return np.ascontiguousarray(raw, dtype=np.uint32)


def _dataset(inputs, labels=None, targets=None, classes=None):
    """A bp_dataset over the caller's arrays (kept in the returned tuple, so
    they live as long as it): labels (integers 0 .. classes - 1) for
    classification, or targets (n x outputs) for regression."""
    x = as_float32(inputs, "inputs")
    data = _lib.Dataset()
    data.count, data.features = x.shape
    data.inputs = ctypes.cast(x.ctypes.data, _lib.c_float_p)
    keep = [x]
    if (labels is None) == (targets is None):
        raise ValueError("give labels (classification) or targets (regression), not both")
    if labels is not None:
        y = _class_numbers(labels)
        if y.shape != (x.shape[0],):
            raise ValueError(f"labels has shape {y.shape}; expected ({x.shape[0]},)")
        if classes is None and y.size and int(y.max()) == 0:
            raise ValueError('every label is "0": one class; a classifier needs two or more')
        data.classes = int(classes) if classes is not None else int(y.max()) + 1 if y.size else 0
        data.labels = ctypes.cast(y.ctypes.data, _lib.c_u32_p)
    else:
        y = as_float32(targets, "targets")
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"targets has {y.shape[0]} rows; inputs {x.shape[0]}")
        data.outputs = y.shape[1]
        data.targets = ctypes.cast(y.ctypes.data, _lib.c_float_p)
    keep.append(y)
    return data, keep


def train_options(epochs=10, batch_size=32, seed=1, first_epoch=0, workers=0, on_epoch=None):
    """bp_train_options, with on_epoch(report) called after every epoch
    (a dict of bp_epoch_report's fields; return True to stop)."""
    options = _lib.TrainOptions()
    lib.bp_train_options_default(ctypes.byref(options))
    options.epochs, options.batch_size, options.seed = int(epochs), int(batch_size), int(seed)
    options.first_epoch, options.workers = int(first_epoch), int(workers)
    callback = None
    if on_epoch is not None:
        def call(report, user):
            r = report.contents
            return 1 if on_epoch(_lib.as_dict(r)) else 0
        callback = _lib.EpochCallback(call)
        options.on_epoch = callback
    return options, callback


def train(net, optimizer, inputs, labels=None, targets=None, classes=None, test=None,
          epochs=10, batch_size=32, seed=1, workers=0, on_epoch=None):
    """bp_train: trains net with optimizer on (inputs, labels) or (inputs,
    targets), shuffled anew each epoch from seed, the whole loop in C.
    test: an optional (inputs, labels-or-targets) held-out pair, evaluated
    after each epoch. Returns False when on_epoch asked to stop, else True."""
    data, keep = _dataset(inputs, labels, targets, classes)
    test_data = None
    if test is not None:
        test_x, test_y = test
        test_data, keep_test = _dataset(test_x, *((test_y, None) if labels is not None
                                                  else (None, test_y)), classes=data.classes
                                        if labels is not None else None)
    options, callback = train_options(epochs, batch_size, seed, 0, workers, on_epoch)
    with net._lock:
        rc = lib.bp_train(net._live(), optimizer._handle, ctypes.byref(data),
                          ctypes.byref(test_data) if test_data is not None else None,
                          ctypes.byref(options))
    if rc == -10:  # BP_ECANCELED: on_epoch's stop
        return False
    check(rc)
    return True
