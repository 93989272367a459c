import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.core import (
    check_array,
    check_int,
    check_labels,
    check_n_features,
    check_option,
    check_positive,
    check_probability,
    check_X,
    check_X_y,
)


def test_check_X_y_accepts_and_converts():
    X, y = check_X_y(np.arange(6).reshape(3, 2), [1, 2, 3])
    assert X.dtype == jnp.float32 and X.shape == (3, 2)
    assert y.shape == (3,)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros(3), "X must have rank 2"),
        (np.zeros((0, 2)), "X must not be empty"),
        (np.array([[1.0, np.nan]]), "X must be finite"),
        (np.array([[1.0, np.inf]]), "X must be finite"),
    ],
)
def test_check_X_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        check_X(bad)


def test_check_X_rejects_non_numeric():
    with pytest.raises(TypeError, match="X must be"):
        check_X([["a", "b"]])
    with pytest.raises(TypeError, match="X must be an array"):
        check_X(None)


def test_mismatched_lengths_named():
    with pytest.raises(ValueError, match="X and y must have the same number of rows, got 3 and 2"):
        check_X_y(np.zeros((3, 2)), np.zeros(2))


def test_integer_kind_rejects_fractions():
    with pytest.raises(ValueError, match="labels must hold integers"):
        check_array([0.5, 1.0], "labels", dtype_kind="i")


def test_checks_are_skipped_under_jit_but_ranks_are_not():
    @jax.jit
    def f(x):
        return check_array(x, "x", ndim=1).sum()

    assert f(jnp.array([jnp.nan, 1.0])).shape == ()  # value checks need concrete values
    with pytest.raises(ValueError, match="x must have rank 1"):
        f(jnp.zeros((2, 2)))


def test_option_positive_int_probability():
    assert check_option("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
        check_option("c", "mode", ("a", "b"))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        check_positive(0.0, "alpha")
    assert check_positive(0.0, "alpha", strict=False) == 0.0
    with pytest.raises(TypeError, match="alpha must be a finite real scalar"):
        check_positive("1", "alpha")
    with pytest.raises(TypeError, match="k must be an int"):
        check_int(2.0, "k")
    with pytest.raises(ValueError, match="k must be >= 1"):
        check_int(0, "k", minimum=1)
    with pytest.raises(ValueError, match="p must be a probability"):
        check_probability(1.5, "p")


def test_labels_and_features():
    codes, classes = check_labels(np.array(["b", "a", "b"]))
    np.testing.assert_array_equal(codes, [1, 0, 1])
    np.testing.assert_array_equal(classes, ["a", "b"])
    with pytest.raises(ValueError, match="y must contain at least 2 classes"):
        check_labels(np.ones(4))
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 2"):
        check_n_features(jnp.zeros((1, 3)), 2)


def test_concrete_arrays_closed_over_by_a_traced_function_are_checked():
    data = jnp.array([[1.0, 2.0]])
    bad = jnp.array([[1.0, jnp.nan]])

    @jax.jit
    def uses(x):
        return check_X(data).sum() + x

    assert float(uses(1.0)) == 4.0

    @jax.jit
    def uses_bad(x):
        return check_X(bad).sum() + x

    with pytest.raises(ValueError, match="X must be finite"):
        uses_bad(1.0)
