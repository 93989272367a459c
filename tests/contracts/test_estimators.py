"""The estimator contract: every factory in tests/contracts/registry.py passes the same
checks, on a tiny (30 × 3) problem.

* ``shapes``: fit/predict (predict_proba, transform) shapes and dtypes;
* ``jit``: ``jax.jit(fit)`` and ``jax.jit(predict)`` equal the eager calls;
* ``determinism``: the same key gives bit-identical params (stochastic estimators);
* ``sweep``: a ``vmap`` over one continuous hyperparameter traces once
  (``chex.assert_max_traces``) and equals a loop of single fits;
* ``float64``: under ``jax.enable_x64`` float64 data gives float64 outputs;
* ``bad_data``: NaN, inf, empty, wrong rank, mismatched lengths, a single class, wrong
  feature count at predict time each raise ``ValueError`` naming the argument;
* ``bad_hyper``: an unknown option name raises ``TypeError``, an unknown option value and
  out-of-range hyperparameters raise ``ValueError``/``TypeError`` naming the argument;
* ``checked``: ``jaxml.core.checked(jax.jit(fit))`` on NaN ``X`` raises the eager
  path's ``ValueError`` from inside the compiled program.
"""

import importlib.util
import sys
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.core import checked


def _load_registry():
    # --import-mode=importlib puts no test folder on sys.path, so load the sibling file.
    name = "jaxml_contract_registry"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("registry.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


registry = _load_registry()
KEY = jax.random.PRNGKey(0)


def _cases(check, *, where=lambda case: True):
    params = []
    for case in registry.CASES:
        if not where(case):
            continue
        marks = ([pytest.mark.xfail(strict=True, reason=case.xfail[check])]
                 if check in case.xfail else [])
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _fit(case, est, X, y, key=KEY):
    args = (X,) if case.kind == "transformer" else (X, y)
    return est.fit(key, *args) if case.stochastic else est.fit(*args)


def _outputs(case, est, params, X):
    """The estimator's user-facing outputs on X, as a tuple of arrays."""
    if case.kind == "transformer":
        return (est.transform(params, X),)
    if case.kind == "classifier" and case.proba:
        return est.predict(params, X), est.predict_proba(params, X)
    return (est.predict(params, X),)


def _assert_outputs_close(case, a, b, *, slack=1.0):
    """Real outputs within the case's tolerance; labels equal where the real outputs agree
    (a label may flip at a decision boundary within that tolerance)."""
    for x, y in zip(a, b):
        if jnp.issubdtype(x.dtype, jnp.integer):
            agree = np.mean(np.asarray(x) == np.asarray(y))
            assert agree >= (1.0 if case.rtol <= 1e-4 else 0.9), agree
        else:
            np.testing.assert_allclose(x, y, rtol=case.rtol * slack, atol=case.rtol * slack)


@pytest.mark.parametrize("case", _cases("shapes"))
def test_shapes_and_dtypes(case):
    X, y = registry.dataset(case.kind, case.data)
    est = case.make(**case.base)
    outputs = _outputs(case, est, _fit(case, est, X, y), X)
    n = X.shape[0]
    if case.kind == "regressor":
        chex.assert_shape(outputs[0], (n,))
        chex.assert_type(outputs[0], jnp.float32)
    elif case.kind == "classifier":
        chex.assert_shape(outputs[0], (n,))
        chex.assert_type(outputs[0], jnp.int32)
        assert set(np.unique(outputs[0])) <= {0, 1}
        if case.proba:
            chex.assert_shape(outputs[1], (n, 2))
            chex.assert_type(outputs[1], jnp.float32)
            np.testing.assert_allclose(outputs[1].sum(axis=1), 1.0, atol=1e-5)
    else:
        chex.assert_shape(outputs[0], X.shape)
        chex.assert_type(outputs[0], jnp.float32)
    chex.assert_tree_all_finite(outputs)


@pytest.mark.parametrize("case", _cases("jit"))
def test_jit_equals_eager(case):
    X, y = registry.dataset(case.kind, case.data)
    est = case.make(**case.base)
    eager = _outputs(case, est, _fit(case, est, X, y), X)
    jitted_fit = jax.jit(lambda X, y: _fit(case, est, X, y))
    jitted = jax.jit(lambda p, X: _outputs(case, est, p, X))(jitted_fit(X, y), X)
    _assert_outputs_close(case, eager, jitted)


@pytest.mark.parametrize("case", _cases("determinism", where=lambda c: c.stochastic))
def test_same_key_same_params(case):
    X, y = registry.dataset(case.kind, case.data)
    est = case.make(**case.base)
    chex.assert_trees_all_equal(_fit(case, est, X, y, KEY), _fit(case, est, X, y, KEY))
    other = _outputs(case, est, _fit(case, est, X, y, jax.random.PRNGKey(1)), X)
    assert not np.array_equal(other[-1], _outputs(case, est, _fit(case, est, X, y), X)[-1])


@pytest.mark.parametrize("case", _cases("sweep", where=lambda c: c.sweep is not None))
def test_hyperparameter_sweep_compiles_once(case):
    X, y = registry.dataset(case.kind, case.data)
    name, values = case.sweep

    def fit_outputs(value):
        est = case.make(**{**case.base, name: value})
        return _outputs(case, est, _fit(case, est, X, y), X)

    chex.clear_trace_counter()
    sweep = jax.jit(jax.vmap(chex.assert_max_traces(fit_outputs, n=1)))
    grid = jnp.asarray(values, jnp.float32)
    swept = sweep(grid)
    sweep(grid * 1.1)  # new values, same shapes: no retrace
    for i, value in enumerate(values):
        single = fit_outputs(value)
        _assert_outputs_close(case, [s[i] for s in swept], single, slack=10.0)


@pytest.mark.parametrize("case", _cases("float64"))
def test_float64_under_x64(case):
    with jax.enable_x64(True):
        X, y = registry.dataset(case.kind, case.data, dtype=np.float64)
        est = case.make(**case.base)
        outputs = _outputs(case, est, _fit(case, est, X, y), X)
        reals = [out for out in outputs if jnp.issubdtype(out.dtype, jnp.floating)]
        chex.assert_type(reals, jnp.float64)
        chex.assert_tree_all_finite(outputs)


def _bad_data(case):
    """(description, X, y, expected message regex) for one estimator."""
    X, y = registry.dataset(case.kind, case.data)
    nan, inf = X.copy(), X.copy()
    nan[3, 1], inf[0, 0] = np.nan, np.inf
    cases = [("NaN in X", nan, y, r"X must be finite"),
             ("inf in X", inf, y, r"X must be finite"),
             ("empty X", X[:0], y[:0], r"\b[Xy]\b must not be empty"),
             ("rank-1 X", X[:, 0], y, r"X must have rank 2")]
    if case.kind != "transformer":
        cases.append(("mismatched lengths", X, y[:-1], r"X and y must have the same number"))
        bad_y = y.astype(np.float32)
        bad_y[2] = np.nan
        cases.append(("NaN in y", X, bad_y, r"\by must be finite"))
    if case.kind == "classifier":
        cases.append(("single class", X, np.ones_like(y), r"\by must contain at least 2"))
    return cases


@pytest.mark.parametrize("case", _cases("bad_data"))
def test_bad_data_raises_naming_the_argument(case):
    est = case.make(**case.base)
    for what, X, y, match in _bad_data(case):
        with pytest.raises(ValueError, match=match):
            _fit(case, est, X, y)
    X, y = registry.dataset(case.kind, case.data)
    params = _fit(case, est, X, y)
    with pytest.raises(ValueError, match=r"X has 2 features, but the model was fitted with 3"):
        _outputs(case, est, params, X[:, :2])


@pytest.mark.parametrize("case", _cases("bad_hyper"))
def test_bad_hyperparameters_raise_naming_the_argument(case):
    with pytest.raises(TypeError, match="no_such_option"):
        case.make(**case.base, no_such_option=1)
    bad = ([case.bad_option] if case.bad_option else []) + list(case.out_of_range)
    for name, value in bad:
        with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
            case.make(**{**case.base, name: value})


@pytest.mark.parametrize("case", _cases("checked", where=lambda c: c.kind != "transformer"))
def test_checked_path_raises_under_jit(case):
    """Under jit the value checks are skipped; the checked path runs them in the program."""
    X, y = registry.dataset(case.kind, case.data)
    est = case.make(**case.base)
    fit = jax.jit(lambda X, y: _fit(case, est, X, y))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        checked(fit)(bad, y)
    _assert_outputs_close(case, _outputs(case, est, checked(fit)(X, y), X),
                          _outputs(case, est, fit(X, y), X))


def test_checked_ridge_as_the_issue_writes_it():
    from jaxml.classical import linear

    X, y = registry.dataset("regressor", "dense")
    X[0, 0] = np.nan
    assert np.isnan(jax.jit(linear.ridge().fit)(X, y).coef).all()  # the silent failure
    with pytest.raises(ValueError, match="X must be finite, found NaN or inf"):
        checked(jax.jit(linear.ridge().fit))(X, y)
