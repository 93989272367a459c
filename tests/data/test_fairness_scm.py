"""jaxml.data.fairness_scm: the rows satisfy the structural equations, and the
counterfactual keeps the noise, flips A and changes only A's descendants."""

import jax
import numpy as np
import pytest

from jaxml.data.fairness_scm import FairnessSCM, fairness_scm_counterfactual, make_fairness_scm

BETA = dict(beta_income=-0.8, beta_zip=1.5, beta_label=-0.6)


def test_rows_follow_the_structural_equations():
    d = make_fairness_scm(jax.random.PRNGKey(0), 5000, **BETA)
    X, y, a, u = (np.asarray(v) for v in d)
    assert isinstance(d, FairnessSCM) and X.shape == (5000, 3) and u.shape == (5000, 5)
    np.testing.assert_allclose(X[:, 0], u[:, 0] - 0.8 * a + 0.5 * u[:, 1], atol=1e-6)
    np.testing.assert_allclose(X[:, 1], 1.5 * (a - 0.5) + 0.5 * u[:, 2], atol=1e-6)
    np.testing.assert_allclose(X[:, 2], u[:, 0] + 0.5 * u[:, 3], atol=1e-6)
    np.testing.assert_array_equal(y, (u[:, 0] - 0.6 * a + 0.5 * u[:, 4] > 0).astype(int))
    assert abs(a.mean() - 0.5) < 0.03  # A ~ Bernoulli(1/2)
    assert y[a == 1].mean() < y[a == 0].mean()  # negative beta_label: group 1 is disadvantaged


def test_counterfactual_flips_a_and_changes_only_its_descendants():
    d = make_fairness_scm(jax.random.PRNGKey(1), 2000, **BETA)
    cf = fairness_scm_counterfactual(d, **BETA)
    np.testing.assert_array_equal(cf.a, 1 - d.a)
    np.testing.assert_array_equal(cf.u, d.u)
    np.testing.assert_array_equal(cf.X[:, 2], d.X[:, 2])  # test score: not a descendant of A
    shift = np.asarray(cf.a - d.a, float)
    np.testing.assert_allclose(cf.X[:, 0] - d.X[:, 0], -0.8 * shift, atol=1e-5)
    np.testing.assert_allclose(cf.X[:, 1] - d.X[:, 1], 1.5 * shift, atol=1e-5)
    back = fairness_scm_counterfactual(cf, **BETA)  # flipping twice is the identity
    np.testing.assert_allclose(back.X, d.X, atol=1e-5)
    np.testing.assert_array_equal(back.y, d.y)


def test_bad_size_is_rejected():
    with pytest.raises(ValueError, match="n"):
        make_fairness_scm(jax.random.PRNGKey(0), 0)
