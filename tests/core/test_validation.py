import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.core import (
    check_array,
    check_bool,
    check_class_codes,
    check_int,
    check_labels,
    check_n_features,
    check_option,
    check_positive,
    check_probability,
    check_probability_vector,
    check_range,
    check_stochastic_matrix,
    check_X,
    check_X_y,
    checked,
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
    with pytest.raises(TypeError, match="alpha must be a real scalar"):
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


@pytest.mark.parametrize("check, args", [
    (check_positive, {}),
    (check_positive, {"strict": False}),
    (check_probability, {}),
    (check_range, {"low": -1.0, "high": 1.0}),
])
def test_range_checks_reject_nan_and_inf(check, args):
    """A comparison with NaN is false, so only an acceptance test catches it."""
    for value in (np.nan, np.float32(np.nan), np.inf, -np.inf):
        with pytest.raises(ValueError, match="^v must be"):
            check(value, "v", **args)


def test_check_range_bounds():
    assert check_range(0.0, "gamma", low=0.0, high=1.0) == 0.0
    with pytest.raises(ValueError, match=r"gamma must be a finite number in \[0.0, 1.0\], got 2"):
        check_range(2, "gamma", low=0.0, high=1.0)
    with pytest.raises(ValueError, match=r"eps must be a finite number in \(0.0, 1.0\]"):
        check_range(0.0, "eps", low=0.0, high=1.0, low_open=True)
    with pytest.raises(TypeError, match="gamma must be a real scalar"):
        check_range(np.ones(2), "gamma", low=0.0)


def test_check_bool_rejects_strings_and_ints():
    assert check_bool(np.bool_(False), "flag") is False
    for value in ("False", "yes", 0, 1.0, None, np.array([True])):
        with pytest.raises(TypeError, match="flag must be a bool"):
            check_bool(value, "flag")


def test_integer_inputs_are_checked_for_finiteness_before_the_cast():
    for bad in ([0.0, np.inf], [np.nan, 1.0], [-np.inf]):
        with pytest.raises(ValueError, match="codes must be finite"):
            check_array(bad, "codes", dtype_kind="i", finite=False)
    assert check_array([1.0, 2.0], "codes", dtype_kind="i").dtype == jnp.int32


def test_class_codes_count_distinct_labels_not_max_plus_one():
    assert check_class_codes(np.array([0, 2, 1, 2])) == 3
    assert check_class_codes(np.array([0, 1, 1]), n_classes=4) == 4
    with pytest.raises(ValueError, match=r"y must contain at least 2 distinct classes, got 1"):
        check_class_codes(np.array([3, 3, 3]))  # max(y) + 1 would say 4 classes
    with pytest.raises(ValueError, match=r"y must hold class codes in \[0, 2\), got range \[0, 2\]"):
        check_class_codes(np.array([0, 1, 2]), n_classes=2)
    with pytest.raises(ValueError, match="y must hold class codes in"):
        check_class_codes(np.array([-1, 0]))
    with pytest.raises(ValueError, match="y must be finite"):
        check_class_codes(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="n_classes must be given when y is traced"):
        jax.jit(check_class_codes)(jnp.array([0, 1]))


def test_probability_vectors_and_stochastic_matrices():
    p = check_probability_vector([0.25, 0.75], "p")
    assert p.dtype == jnp.float32
    check_stochastic_matrix(np.full((3, 4), 0.25), "A")
    bad = [
        ([0.5, 0.6], "p must be a probability vector: entries must sum to 1"),
        ([1.5, -0.5], "p must be a probability vector: found negative"),
        ([np.nan, 1.0], "p must be finite"),
        ([], "p must not be empty"),
    ]
    for value, match in bad:
        with pytest.raises(ValueError, match=match):
            check_probability_vector(value, "p")
    with pytest.raises(ValueError, match="A must be a stochastic matrix: entries must sum to 1 "
                                         "in every row"):
        check_stochastic_matrix([[2.0, 0.0], [0.0, 1.0]], "A")
    with pytest.raises(ValueError, match="A must have rank 2"):
        check_stochastic_matrix([0.5, 0.5], "A")
    check_probability_vector([0.5, 0.5 + 1e-5], "p", atol=1e-4)
    with pytest.raises(ValueError, match="within 1.0e-06"):
        check_probability_vector([0.5, 0.5 + 1e-5], "p", atol=1e-6)


def _fit_like(X, alpha, codes):
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    check_positive(alpha, "alpha")
    probs = check_probability_vector(jax.nn.softmax(X[0]), "probs")
    k = check_class_codes(codes, "codes", n_classes=3)
    return X.sum() * alpha + probs.sum() + k


def test_checked_runs_the_value_checks_inside_jit():
    X = jnp.ones((2, 3))
    codes = jnp.array([0, 2])
    assert float(jax.jit(_fit_like)(X.at[0, 0].set(jnp.nan), 1.0, codes)) != 6.0  # unchecked
    run = checked(jax.jit(_fit_like))
    np.testing.assert_allclose(run(X, 1.0, codes), 6.0 + 1.0 + 3.0, rtol=1e-6)
    bad = [
        ((X.at[0, 0].set(jnp.nan), 1.0, codes), "^X must be finite, found NaN or inf$"),
        ((X, -1.0, codes), "^alpha must be > 0 and finite$"),
        ((X, jnp.nan, codes), "^alpha must be > 0 and finite$"),
        ((X, 1.0, jnp.array([0, 3])), r"^codes must hold class codes in \[0, 3\)$"),
        ((X, 1.0, jnp.array([1, 1])), "^codes must contain at least 2 distinct classes$"),
    ]
    for args, match in bad:
        with pytest.raises(ValueError, match=match):
            run(*args)
    with pytest.raises(ValueError, match="^X must be finite"):  # under vmap too
        checked(jax.vmap(_fit_like, in_axes=(0, None, None)))(
            jnp.ones((2, 2, 3)).at[1, 0, 0].set(jnp.inf), 1.0, codes)
