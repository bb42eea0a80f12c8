"""scikit-learn's MLPClassifier and MLPRegressor, trained by libbackprop.

The parameters are scikit-learn's, with their meanings; the training loop
(shuffle, mini-batches, forward and backward passes, optimizer steps, the
epoch's loss) is bp_train in C. Python runs once per epoch, for the
stopping rule and the loss curve.
"""

import contextlib
import ctypes
import functools
import threading
import warnings
import zlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _lib
from ._lib import lib
from .net import Net, Optimizer

try:  # scikit-learn >= 1.2: its own parameter checks and their wording
    from numbers import Integral, Real

    from sklearn.utils._param_validation import Interval, Options, StrOptions
except ImportError:  # pragma: no cover
    Interval = None

_ACTIVATION = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}

# The checks of scikit-learn's suite (sklearn.utils.estimator_checks) that
# these estimators are excused from, each with its reason. docs/python.md
# lists them too.
_XFAIL_CHECKS = {
}


def _parameter_constraints():
    if Interval is None:
        return {}
    return {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "workers": [None, Interval(Integral, 0, 1024, closed="both")],
        "blas_threads": [None, Interval(Integral, 1, None, closed="left")],
        "plan": [None, str],
    }


def _set_learning_rate(optimizer, rate):
    """Changes a live optimizer's learning rate, keeping its state and step
    count: through its file bytes (docs/model-format.md: the rate is the
    float at offset 24, and the last 4 bytes are the CRC-32 of the rest)."""
    data = bytearray(optimizer.to_bytes())
    data[24:28] = np.float32(rate).tobytes()
    data[-4:] = zlib.crc32(bytes(data[:-4])).to_bytes(4, "little")
    optimizer.load_bytes(data)


# Creates each estimator's call lock once (two threads' first calls race).
_LOCK_CREATION = threading.Lock()


def _estimator_call(method):
    """Runs method under the estimator's lock (fit, partial_fit and predict
    from several threads take turns: they share the network, the optimizer
    and the fitted attributes) and within its blas_threads."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._call_lock(), self._blas_limit():
            return method(self, *args, **kwargs)
    return call


def _log_softmax(logits):
    """log softmax of float32 logits, row by row, in float64: z - max -
    log(sum exp(z - max)). Every exponent is <= 0 and the sum >= 1, so it is
    finite for finite logits, however small the probability."""
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z


class _ViewList(list):
    """coefs_ or intercepts_: a list of views into the network, where
    `est.coefs_[i] = array` writes the array into layer i (as assigning
    a fresh list to est.coefs_ does), instead of replacing a list entry
    the network never sees."""

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError("assign one layer at a time, or a whole list to the attribute")
        target = list.__getitem__(self, index)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"layer {index} has shape {target.shape}, not {value.shape}")
        target[...] = value


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: the network, the
    optimizer, the training loop's settings and the stopping rule."""

    _parameter_constraints = _parameter_constraints()

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 workers=None, blas_threads=None, plan=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.workers = workers
        self.blas_threads = blas_threads
        self.plan = plan

    # ---- the parts that differ ----
    # _gradient_scale: how much larger the C cost's gradient is than
    # scikit-learn's (2 for the regressor: sum of squares without the 1/2).

    def _more_tags(self):
        return {"_xfail_checks": _XFAIL_CHECKS}

    # ---- calls from several threads, OpenBLAS's threads ----

    def _call_lock(self):
        lock = self.__dict__.get("_lock")
        if lock is None:
            with _LOCK_CREATION:
                lock = self.__dict__.setdefault("_lock", threading.RLock())
        return lock

    def _blas_limit(self):
        """OpenBLAS (and any other BLAS in the process, NumPy's included) on
        blas_threads threads for the duration of one call, restored after
        it, as threadpoolctl's context manager does; nothing when None."""
        if self.blas_threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn
        return threadpool_limits(limits=int(self.blas_threads), user_api="blas")

    # ---- fitted attributes that are views of the network ----

    def _fitted_net(self, name):
        net = self.__dict__.get("_net")
        if net is None:
            raise AttributeError(f"{name} is set by fit")
        return net

    @property
    def coefs_(self):
        """Weight matrices, layer by layer, n_in x n_out as scikit-learn lays
        them out: transposed zero-copy views of the network's parameter
        block (writing them changes the model; each keeps the network it
        points into alive, also across a refit)."""
        net = self._fitted_net("coefs_")
        return _ViewList(layer.weights.T for layer in net.layers)

    @coefs_.setter
    def coefs_(self, arrays):
        self._assign(self.coefs_, arrays, "coefs_")

    @property
    def intercepts_(self):
        """Bias vectors, layer by layer: zero-copy views, as coefs_."""
        net = self._fitted_net("intercepts_")
        return _ViewList(layer.bias for layer in net.layers)

    @intercepts_.setter
    def intercepts_(self, arrays):
        self._assign(self.intercepts_, arrays, "intercepts_")

    @staticmethod
    def _assign(views, arrays, name):
        arrays = list(arrays)
        if len(arrays) != len(views):
            raise ValueError(f"{name} needs {len(views)} arrays, one per layer, not {len(arrays)}")
        for i, (view, array) in enumerate(zip(views, arrays)):
            if np.shape(array) != view.shape:
                raise ValueError(f"{name}[{i}] has shape {view.shape}, not {np.shape(array)}")
        for view, array in zip(views, arrays):
            view[...] = array

    @property
    def n_layers_(self):
        """Number of layers, the input and output layers included."""
        return self._fitted_net("n_layers_").num_layers + 1

    @property
    def n_outputs_(self):
        """Number of outputs: of the network (the classifier: one per class,
        also for two classes, where scikit-learn has 1)."""
        return self._fitted_net("n_outputs_").num_outputs

    @property
    def out_activation_(self):
        """Name of the output activation function: "softmax" (classifier,
        also for two classes, where scikit-learn has "logistic") or
        "identity" (regressor)."""
        self._fitted_net("out_activation_")
        return self._output_activation

    # ---- pickling: the network and optimizer travel as their file bytes ----

    def __getstate__(self):
        state = super().__getstate__().copy()
        state.pop("_lock", None)  # a lock does not travel; the copy makes its own
        net, optimizer = state.pop("_net", None), state.pop("_optimizer", None)
        state["_net_bytes"] = None if net is None else net.to_bytes()
        state["_optimizer_bytes"] = None if optimizer is None else optimizer.to_bytes()
        return state

    def __setstate__(self, state):
        state = dict(state)
        net_bytes, optimizer_bytes = state.pop("_net_bytes", None), state.pop("_optimizer_bytes",
                                                                              None)
        super().__setstate__(state)
        self._net = None if net_bytes is None else Net.from_bytes(net_bytes)
        self._optimizer = None
        if self._net is not None and optimizer_bytes is not None:
            self._optimizer = Optimizer(self._net)
            self._optimizer.load_bytes(optimizer_bytes)

    # ---- training ----

    def _check_params(self):
        if hasattr(self, "_validate_params"):
            self._validate_params()
        if self.solver not in ("sgd", "adam"):
            raise ValueError(f"solver={self.solver!r} is not supported; use 'sgd' or 'adam'")
        if self.max_fun != 15000:
            warnings.warn(f"max_fun={self.max_fun} is ignored: it applies only to "
                          "solver='lbfgs', which this estimator does not support", UserWarning)
        if not self.shuffle:
            raise ValueError("shuffle=False is not supported: the C training loop shuffles "
                             "the training set every epoch")
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if any(int(s) <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _make_optimizer(self, batch_size):
        scale = self._gradient_scale
        # scikit-learn's penalty is alpha/2 ||W||^2 per batch divided by the
        # batch size; the C optimizer's weight decay adds lambda theta to a
        # gradient `scale` times scikit-learn's.
        decay = scale * self.alpha / batch_size
        if self.solver == "adam":
            # Adam is invariant to the gradient's scale once epsilon scales too.
            return Optimizer(self._net, "adam", learning_rate=self.learning_rate_init,
                             beta1=self.beta_1, beta2=self.beta_2, epsilon=scale * self.epsilon,
                             weight_decay=decay)
        kind = "sgd" if self.momentum == 0 else (
            "nesterov" if self.nesterovs_momentum else "momentum")
        return Optimizer(self._net, kind, learning_rate=self.learning_rate_init / scale,
                         momentum=self.momentum, weight_decay=decay)

    def _fit(self, X, y, incremental=False, classes=None):
        hidden = self._check_params()
        first_pass = getattr(self, "_net", None) is None or (
            not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, first_pass, classes)
        n_samples, n_features = X.shape
        random_state = check_random_state(self.random_state)

        if first_pass:
            sizes = [n_features] + hidden + [self._n_outputs_for(y)]
            # A new network; the old one is not closed: a view of it taken
            # before (coefs_) keeps it alive, and it is freed with the last.
            self._seed = int(random_state.randint(np.iinfo(np.int32).max))
            act = _ACTIVATION[self.activation]
            self._net = Net(sizes, [act] * len(hidden) + [self._output_activation],
                            loss=self._loss, seed=self._seed)
            # Glorot uniform, as scikit-learn initializes (biases 0 here).
            self._net.initialize("xavier", seed=self._seed)
            self._optimizer = None
            self._epochs_trained = 0
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self._best_params = None
            # As scikit-learn: early stopping records validation scores
            # and no best loss; they continue on a warm start.
            self.best_loss_ = None if self.early_stopping else np.inf
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.validation_scores_ = [] if self.early_stopping else None
        elif self._net.num_inputs != n_features:  # caught by _validate_input already
            raise ValueError(f"X has {n_features} features, but {type(self).__name__} is "
                             f"expecting {self._net.num_inputs} features as input.")

        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            stratify = y if is_classifier(self) else None
            X, X_val, y, y_val = train_test_split(X, y, random_state=random_state,
                                                  test_size=self.validation_fraction,
                                                  stratify=stratify)
            X, X_val = np.ascontiguousarray(X), np.ascontiguousarray(X_val)
            y, y_val = np.ascontiguousarray(y), np.ascontiguousarray(y_val)
            if self.validation_scores_ is None:  # a warm start after fits without it
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            if self.best_loss_ is not None and not np.isfinite(self.best_loss_):
                self.best_loss_ = None
            if getattr(self, "_best_params", None) is None:
                self._best_params = self._net.params.copy()
        else:
            X_val = y_val = None
        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                              "It is going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        if self._optimizer is None or not incremental:
            self._optimizer = self._make_optimizer(batch_size)
            self._rate = self.learning_rate_init
        threads_before = lib.bp_blas_threads()
        self._choose_plan(batch_size)
        try:
            self._train(X, y, X_val, y_val, batch_size, 1 if incremental else self.max_iter,
                        early_stopping)
        finally:
            if self.plan is not None:  # a plan's BLAS threads last for its fit only
                lib.bp_blas_set_threads(threads_before)
        if early_stopping:  # the best validation score's parameters, as scikit-learn
            self._net.params[:] = self._best_params
        return self

    def _choose_plan(self, batch_size):
        """plan="auto": the library times the candidates on this network and
        batch (bp_plan_measure, about 0.3 s) and applies the fastest; a
        text such as "blis:2x1" fixes it (bp_plan_parse). Sets plan_."""
        if self.plan is None:
            return
        if self.workers is not None or self.blas_threads is not None:
            raise ValueError("plan does not go with workers or blas_threads: a plan sets both")
        plan = _lib.Plan()
        handle = self._net._handle
        with self._net._lock:
            if self.plan == "auto":
                rc = lib.bp_plan_measure(
                    handle, lib.bp_optimizer_get_config(self._optimizer._handle), batch_size, 0,
                    0.0, ctypes.byref(plan))
            else:
                rc = lib.bp_plan_parse(self.plan.encode(), handle, batch_size, 0,
                                       ctypes.byref(plan))
            if rc == 0:
                rc = lib.bp_plan_apply(handle, ctypes.byref(plan))
        if rc != 0:
            raise _lib.error(rc)
        text = ctypes.create_string_buffer(32)
        lib.bp_plan_format(ctypes.byref(plan), text, len(text))
        self.plan_ = text.value.decode()
        self._plan_workers = plan.workers

    def _dataset(self, X, y):
        data = _lib.Dataset()
        data.count, data.features = X.shape
        data.inputs = ctypes.cast(X.ctypes.data, _lib.c_float_p)
        if is_classifier(self):
            data.classes = len(self.classes_)
            data.labels = ctypes.cast(y.ctypes.data, _lib.c_u32_p)
        else:
            data.outputs = y.shape[1]
            data.targets = ctypes.cast(y.ctypes.data, _lib.c_float_p)
        return data

    def _train(self, X, y, X_val, y_val, batch_size, epochs, early_stopping):
        train = self._dataset(X, y)
        test = self._dataset(X_val, y_val) if X_val is not None else None
        if not is_classifier(self) and y_val is not None:
            self._val_variance = float(np.sum(np.var(y_val.astype(np.float64), axis=0)))
        state = {"error": None, "stop": False, "converged": False, "left": epochs}
        n_batches = -(-X.shape[0] // batch_size)

        def on_epoch(report, user):
            try:
                return self._after_epoch(report.contents, state, X.shape[0], n_batches,
                                         early_stopping)
            except BaseException as e:  # raised again once bp_train has returned
                state["error"] = e
                return 1

        callback = _lib.EpochCallback(on_epoch)
        options = _lib.TrainOptions()
        lib.bp_train_options_default(ctypes.byref(options))
        options.batch_size = batch_size
        options.seed = self._seed
        options.on_epoch = callback
        options.workers = self._plan_workers if self.plan is not None else (
            0 if self.workers is None else int(self.workers))
        while state["left"] > 0 and not state["stop"]:
            options.first_epoch = self._epochs_trained
            options.epochs = self._epochs_trained + state["left"]
            with self._net._lock:  # the network's own calls wait meanwhile
                rc = lib.bp_train(self._net._live(), self._optimizer._handle,
                                  ctypes.byref(train),
                                  ctypes.byref(test) if test is not None else None,
                                  ctypes.byref(options))
            if state["error"] is not None:
                raise state["error"]
            if rc == -9:  # BP_ENONFINITE
                raise _lib.error(rc).__class__(
                    rc, "training diverged (a loss or gradient became NaN or infinite); "
                    "try a smaller learning_rate_init or scaled inputs: "
                    + lib.bp_errmsg().decode(errors="replace"))
            if rc not in (0, -10):  # BP_OK, BP_ECANCELED (our own stop)
                raise _lib.error(rc)
            if state.get("new_rate") is not None:
                _set_learning_rate(self._optimizer, state.pop("new_rate") / self._gradient_scale)
        if (epochs > 1 and not state["converged"] and self.n_iter_ == self.max_iter
                and state["left"] == 0):
            warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                          "optimization hasn't converged yet." % self.max_iter,
                          ConvergenceWarning)

    def _after_epoch(self, report, state, n_samples, n_batches, early_stopping):
        """scikit-learn's bookkeeping at the end of an epoch. Returns 1 to
        stop bp_train (converged, or the learning rate is to change)."""
        self._epochs_trained += 1
        state["left"] -= 1
        self.n_iter_ += 1
        self.t_ += n_samples
        loss = report.train_loss / self._loss_scale
        if self.alpha:
            # scikit-learn adds alpha/2 ||W||^2 / batch size to each batch's loss.
            squares = sum(float(np.dot(w.ravel(), w.ravel())) for w in
                          (layer.weights for layer in self._net.layers))
            loss += 0.5 * self.alpha * squares * n_batches / n_samples
        self.loss_ = loss
        self.loss_curve_.append(loss)
        if self.verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter_, loss))

        if early_stopping:
            if is_classifier(self):
                score = report.test_accuracy
            else:  # R^2, weighted by variance over several outputs
                score = 1.0 - report.test_loss / max(self._val_variance, 1e-300)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[:] = self._net.params
        else:
            if self.best_loss_ is None:  # warm start after an early-stopping fit
                self.best_loss_ = np.inf
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if loss < self.best_loss_:
                self.best_loss_ = loss

        new_rate = None
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            new_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t

        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score" if early_stopping else "Training loss"
            message = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what, self.tol, self.n_iter_no_change)
            if self.solver == "sgd" and self.learning_rate == "adaptive" and self._rate > 1e-6:
                self._rate /= 5.0
                new_rate = self._rate
                self._no_improvement_count = 0
                if self.verbose:
                    print(message + " Setting learning rate to %f" % self._rate)
            else:
                if self.verbose:
                    print(message + " Stopping.")
                state["stop"] = state["converged"] = True
                return 1
        if new_rate is not None:  # applied once bp_train has returned
            state["new_rate"] = new_rate
            return 1 if state["left"] > 0 else 0
        return 0

    @_estimator_call
    def save_model(self, path):
        """Saves the fitted network as a model file (format 2) with its task
        and, for a classifier, the classes' names (str of each label), so
        that `backprop predict` and `backprop eval` can use it."""
        check_is_fitted(self)
        if is_classifier(self):
            self._net.set_preprocessing("classification", class_names=self.classes_)
        else:
            self._net.set_preprocessing("regression")
        # Fitted on a DataFrame: its column names, so that `backprop predict`
        # matches a CSV header by name (as for a model the CLI trained).
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            try:
                self._net.set_schema(input_names=[str(n) for n in names])
            except ValueError as e:
                warnings.warn(f"the model keeps no column names: {e}")
        self._net.save(path)

    def _predict_outputs(self, X, output="activations"):
        check_is_fitted(self)
        X = self._validate_data(X, reset=False, dtype=np.float32, order="C")
        # Row-invariant products: a sample's prediction is the same bits
        # alone, in any batch and in any order (scikit-learn's subset and
        # order invariance checks), whatever OpenBLAS's kernel.
        return self._net.forward(X, output=output, inference="invariant")

    @_estimator_call
    def fit(self, X, y):
        """Trains the model on X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs (converted once to C-contiguous float32).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or targets (regressor).

        Returns
        -------
        self : the fitted estimator.
        """
        return self._fit(X, y, incremental=False)


# The Parameters both estimators share, written once and put into each
# class's docstring by @_shared_parameters_doc.
_SHARED_PARAMETERS_DOC = """\
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        The hidden layers' activation.
    solver : {"sgd", "adam"}, default="adam"
        The optimizer ("lbfgs" is refused with a ValueError).
    alpha : float, default=0.0001
        Strength of the L2 penalty, applied as the optimizer's weight decay
        (alpha / batch size per step, as scikit-learn's penalty; it decays the
        biases too).
    batch_size : int or "auto", default="auto"
        Examples per step; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The rate's schedule (solver="sgd").
    learning_rate_init : float, default=0.001
        The initial learning rate.
    power_t : float, default=0.5
        The exponent of "invscaling".
    max_iter : int, default=200
        The most epochs.
    shuffle : bool, default=True
        Must be True: the C training loop shuffles every epoch.
    random_state : int, RandomState instance or None, default=None
        Draws the initial weights, the shuffles' seed and the early-stopping
        split. With a fixed plan (workers and blas_threads), an int gives
        the same model, bit for bit, on the same machine and OpenBLAS core.
    tol : float, default=1e-4
        The improvement under which an epoch counts as none.
    verbose : bool, default=False
        Prints each epoch's loss (and validation score), as scikit-learn.
    warm_start : bool, default=False
        fit continues from the current model (and its loss curve and
        validation scores) instead of starting anew.
    momentum : float, default=0.9
        Momentum of solver="sgd".
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for solver="sgd" with momentum > 0.
    early_stopping : bool, default=False
        Holds out validation_fraction of the training set and stops when its
        score stops improving; the best-scoring parameters are kept.
    validation_fraction : float, default=0.1
        The held-out share for early_stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's epsilon.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    max_fun : int, default=15000
        Accepted for scikit-learn's signature; it applies only to
        solver="lbfgs", which is not supported, so any other value warns.
    workers : int or None, default=None
        bp_train's worker threads, each computing the gradient of a slice of
        every batch; None or 0 trains in the calling thread. The slices'
        gradients are summed in another order than one thread's, so
        workers=2 trains a model that differs from workers=1 by float
        rounding (probabilities by about 1e-3 after many epochs), not a
        different algorithm.
    blas_threads : int or None, default=None
        OpenBLAS's thread count during this estimator's own calls (fit,
        partial_fit, predict, ...), restored after each as threadpoolctl's
        threadpool_limits does (it limits every BLAS in the process,
        NumPy's too, for the call's duration); None leaves it.
    plan : str or None, default=None
        Instead of workers and blas_threads: "auto" times the kernel sets,
        workers and BLAS threads on this network and batch (about 0.3 s) and
        trains with the fastest, which depends on the machine and its load
        (and so may the last bits); a text such as "blis:2x1" or
        "openblas:1x2" fixes it, bitwise repeatable. The plan used is plan_
        after fit; its BLAS thread count is put back after.

    Attributes
    ----------
"""


def _shared_parameters_doc(cls):
    """Puts _SHARED_PARAMETERS_DOC where the docstring says {shared_parameters}."""
    if cls.__doc__:  # None under python -OO
        cls.__doc__ = cls.__doc__.replace("    {shared_parameters}\n", _SHARED_PARAMETERS_DOC)
    return cls


@_shared_parameters_doc
class MLPClassifier(ClassifierMixin, _BaseMLP):
    """scikit-learn's MLPClassifier, trained by libbackprop.

    The output layer is a softmax over one output per class (also for two
    classes, where scikit-learn has one logistic output), trained on the
    cross-entropy (scikit-learn's log-loss). predict_proba and
    predict_log_proba compute the softmax and log-softmax of the network's
    float32 logits in float64. fit, partial_fit and the predictions from
    several threads on one estimator take turns.

    {shared_parameters}
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    loss_ : float
        The last epoch's loss, in scikit-learn's units (the mean log-loss plus the penalty).
    best_loss_ : float or None
        The lowest loss; None with early_stopping (see
        best_validation_score_), as scikit-learn.
    loss_curve_ : list of float
        Each epoch's loss.
    validation_scores_ : list of float or None
        Each epoch's score on the held-out set (accuracy) under
        early_stopping, appended to on a warm start; else None.
    best_validation_score_ : float or None
        The best of validation_scores_, or None.
    t_ : int
        Training examples seen.
    coefs_ : list of ndarray of shape (n_in, n_out)
        Each layer's weights: zero-copy views of the network (writing them,
        or assigning arrays to coefs_ or coefs_[i], changes the model). A view
        keeps its network alive, also after a refit made a new one. For two classes coefs_[-1] has 2
        columns (one output per class), where scikit-learn's has 1.
    intercepts_ : list of ndarray of shape (n_out,)
        Each layer's biases, views as coefs_.
    n_features_in_ : int
        Features seen by fit.
    feature_names_in_ : ndarray of str
        The feature names seen by fit, when X had string column names.
    n_iter_ : int
        Epochs run.
    n_layers_ : int
        Layers, the input and output layers included.
    n_outputs_ : int
        Outputs of the network: one per class, also 2 for two classes (scikit-learn: 1).
    plan_ : str
        The plan fit used, when plan was given.
    out_activation_ : str
        The output layer's activation: "softmax" (scikit-learn: "logistic"
        for two classes).
    """

    _output_activation = "softmax"
    _loss = "cross_entropy"
    _gradient_scale = 1.0
    _loss_scale = 1.0

    def _n_outputs_for(self, y):
        return len(self.classes_)

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = self._validate_data(X, y, reset=reset, dtype=np.float32, order="C",
                                   multi_output=False)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_}")
        if not np.all(np.isin(y, self.classes_)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {np.unique(y)}.")
        labels = np.ascontiguousarray(np.searchsorted(self.classes_, y), dtype=np.uint32)
        return X, labels

    @_estimator_call
    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing the current model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the labels there will be; required on the first call.

        Returns
        -------
        self : the estimator.
        """
        if getattr(self, "_net", None) is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, incremental=True, classes=classes)

    @_estimator_call
    def predict_proba(self, X):
        """Class probabilities: the softmax of the network's logits,
        computed in float64 (rows sum to 1 to about 1e-16).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64, columns
            in the order of classes_.
        """
        return np.exp(_log_softmax(self._predict_outputs(X, "logits")))

    @_estimator_call
    def predict_log_proba(self, X):
        """Log class probabilities: the log-softmax of the network's logits,
        computed in float64, finite where a probability underflows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes), float64.
        """
        return _log_softmax(self._predict_outputs(X, "logits"))

    @_estimator_call
    def predict(self, X):
        """The most probable class of each row (the largest logit).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,), labels from classes_.
        """
        logits = self._predict_outputs(X, "logits")
        return self.classes_[np.argmax(logits, axis=1)]


@_shared_parameters_doc
class MLPRegressor(RegressorMixin, _BaseMLP):
    """scikit-learn's MLPRegressor, trained by libbackprop.

    An identity output layer trained on the squared error. libbackprop's
    cost is the sum of squares without scikit-learn's 1/2, so its gradient
    is twice scikit-learn's: the learning rate (sgd), epsilon (adam) and the
    L2 penalty are scaled so that the steps are scikit-learn's, and loss_ is
    reported in scikit-learn's units (half the mean squared error). fit,
    partial_fit and predict from several threads on one estimator take turns.

    {shared_parameters}
    loss_ : float
        The last epoch's loss, in scikit-learn's units (half the mean squared
        error, plus the penalty).
    best_loss_ : float or None
        The lowest loss; None with early_stopping (see
        best_validation_score_), as scikit-learn.
    loss_curve_ : list of float
        Each epoch's loss.
    validation_scores_ : list of float or None
        Each epoch's score on the held-out set (R^2) under
        early_stopping, appended to on a warm start; else None.
    best_validation_score_ : float or None
        The best of validation_scores_, or None.
    t_ : int
        Training examples seen.
    coefs_ : list of ndarray of shape (n_in, n_out)
        Each layer's weights: zero-copy views of the network (writing them,
        or assigning arrays to coefs_ or coefs_[i], changes the model). A view
        keeps its network alive, also after a refit made a new one.
    intercepts_ : list of ndarray of shape (n_out,)
        Each layer's biases, views as coefs_.
    n_features_in_ : int
        Features seen by fit.
    feature_names_in_ : ndarray of str
        The feature names seen by fit, when X had string column names.
    n_iter_ : int
        Epochs run.
    n_layers_ : int
        Layers, the input and output layers included.
    n_outputs_ : int
        Outputs of the network: the targets' columns.
    out_activation_ : str
        The output layer's activation: "identity".
    """

    _output_activation = "identity"
    _loss = "quadratic"
    _gradient_scale = 2.0

    @property
    def _loss_scale(self):
        return 2.0 * self._net.num_outputs

    def _more_tags(self):
        return {"multioutput": True, "_xfail_checks": _XFAIL_CHECKS}

    def _n_outputs_for(self, y):
        return y.shape[1]

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = self._validate_data(X, y, reset=reset, dtype=np.float32, order="C",
                                   multi_output=True, y_numeric=True)
        if reset:  # predict returns 1-d outputs when y was 1-d
            self._y_1d = y.ndim == 1
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if not reset and y.shape[1] != self._net.num_outputs:
            raise ValueError(f"y has {y.shape[1]} outputs, but {type(self).__name__} was fitted "
                             f"with {self._net.num_outputs}")
        return X, np.ascontiguousarray(y, dtype=np.float32)

    @_estimator_call
    def partial_fit(self, X, y):
        """One epoch over (X, y), continuing the current model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : the estimator.
        """
        return self._fit(X, y, incremental=True)

    @_estimator_call
    def predict(self, X):
        """The network's outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs), float64
            (1-d when y was 1-d at fit).
        """
        out = self._predict_outputs(X).astype(np.float64)
        return out.ravel() if self._y_1d else out
