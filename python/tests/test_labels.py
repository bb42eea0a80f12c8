"""Issue 22's traps on the Python side: save_model and set_preprocessing
refuse the class names the CLI cannot read back as themselves (with the
library's words), and backprop.train refuses labels a cast to uint32 would
change (0.9 to class 0, -1 to 4294967295)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

import backprop
from backprop import MLPClassifier


def two_outputs():
    return backprop.Net([3, 4, 2], ["tanh", "softmax"], seed=1)


def test_spellings_of_one_number_are_two_classes(tmp_path):
    net = two_outputs()
    net.set_preprocessing("classification", class_names=["01", "1"])
    net.save(tmp_path / "m.bin")
    assert backprop.Net.load(tmp_path / "m.bin").preprocessing["class_names"] == ["01", "1"]


@pytest.mark.parametrize("names, words", [
    ([" yes", "yes"], 'class name 0 (" yes") has a blank at an end'),
    (["yes", "yes "], "has a blank at an end, which a CSV field loses"),
    (["a", "a"], 'class names 0 and 1 are both "a"'),
    (["a\0b", "a"], 'class name 0 ("a\0b") holds a control character'),
    (["NA", "b"], "is a missing label"),
    (["?", "b"], "is a missing label"),
    (['"q"', "b"], "wrapped in double quotes"),
])
def test_names_the_cli_cannot_read_back_are_refused(names, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        two_outputs().set_preprocessing("classification", class_names=names)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_save_model_refuses_what_the_cli_refuses(tmp_path):
    X, y = load_iris(return_X_y=True)
    labels = np.array([" yes", "yes", "no"])[y]
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, labels)
    with pytest.raises(ValueError, match="has a blank at an end"):
        model.save_model(tmp_path / "m.bin")
    assert not (tmp_path / "m.bin").exists()


def train(labels, classes=None):
    net = backprop.Net([2, 3, 3], ["tanh", "softmax"], loss="cross_entropy", seed=1)
    opt = backprop.Optimizer(net, "sgd", learning_rate=0.1)
    x = np.zeros((len(labels), 2), dtype=np.float32)
    return backprop.train(net, opt, x, labels=labels, classes=classes, epochs=1, batch_size=2)


def test_train_refuses_a_fraction_instead_of_truncating():
    with pytest.raises(ValueError, match=r"labels\[1\] is 0\.9: labels are class numbers"):
        train(np.array([1.0, 0.9, 2.0]))


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_train_refuses_negative_and_nan_labels(bad):
    with pytest.raises(ValueError, match=r"labels\[2\] is .*not negative, not NaN") as caught:
        train(np.array([0, 1, bad], dtype=np.float64 if bad != bad else np.int64))
    assert "4294967296" not in str(caught.value)


def test_train_refuses_one_class():
    with pytest.raises(ValueError, match='every label is "0": one class; a classifier needs two'):
        train(np.array([0, 0, 0]))


def test_train_takes_whole_floats():
    assert train(np.array([0.0, 1.0, 2.0]))


def test_schema_round_trips_and_the_cli_reads_it(tmp_path):
    net = two_outputs()
    assert net.schema is None
    net.set_preprocessing("classification", class_names=["no", "yes"])
    net.set_schema(["height", "weight", "age"], ["answer"], skipped_columns=1)
    net.save(tmp_path / "m.bin")
    loaded = backprop.Net.load(tmp_path / "m.bin")
    assert loaded.schema == {"input_names": ["height", "weight", "age"],
                             "output_names": ["answer"], "skipped_columns": 1}
    with pytest.raises(ValueError, match='input names 0 and 1 are both "a"'):
        net.set_schema(["a", "a", "b"])
    with pytest.raises(ValueError, match="2 input names; the network takes 3"):
        net.set_schema(["a", "b"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_save_model_keeps_a_dataframes_column_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal length", "petal width"])
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(frame, y)
    model.save_model(tmp_path / "m.bin")
    schema = backprop.Net.load(tmp_path / "m.bin").schema
    assert schema["input_names"] == list(frame.columns)
