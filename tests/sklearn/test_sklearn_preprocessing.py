"""jaxml.sklearn scalers: scikit-learn's own estimator checks, parity and Pipeline use."""

import pickle

import numpy as np
import pytest
import sklearn.preprocessing as skp
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxml.sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

R = np.random.default_rng(0)
X = R.normal(size=(25, 3)) * [1.0, 10.0, 0.01] + [5.0, -2.0, 0.0]
X[:, 0] = np.round(X[:, 0])


@parametrize_with_checks([StandardScaler(), MinMaxScaler(), RobustScaler()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "ours,ref",
    [
        (StandardScaler(), skp.StandardScaler()),
        (StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False)),
        (MinMaxScaler(feature_range=(-2, 3)), skp.MinMaxScaler(feature_range=(-2, 3))),
        (RobustScaler(quantile_range=(10.0, 80.0)), skp.RobustScaler(quantile_range=(10.0, 80.0))),
        (RobustScaler(with_centering=False), skp.RobustScaler(with_centering=False)),
    ],
)
def test_matches_sklearn_in_float64(ours, ref):
    Z = ours.fit_transform(X)
    np.testing.assert_allclose(Z, ref.fit_transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(Z), X, rtol=1e-12, atol=1e-12)
    for name in ("mean_", "var_", "scale_", "min_", "data_min_", "data_range_", "center_"):
        if hasattr(ref, name):
            a, b = getattr(ours, name), getattr(ref, name)
            if b is None:
                assert a is None
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12)
    assert Z.dtype == np.float64
    assert ours.transform(X.astype(np.float32)).dtype == np.float32
    clone = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(clone.transform(X), Z)


def test_pipeline_gridsearch_and_feature_names():
    y = X @ [1.0, 0.5, 30.0] + R.normal(size=25)
    pipe = make_pipeline(StandardScaler(), LinearRegression())
    gs = GridSearchCV(pipe, {"standardscaler__with_mean": [True, False]}, cv=3).fit(X, y)
    assert gs.best_score_ > 0.5
    names = StandardScaler().fit(X).get_feature_names_out(["a", "b", "c"])
    np.testing.assert_array_equal(names, ["a", "b", "c"])


def test_bad_input_errors():
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler(feature_range=(3, 1)).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        StandardScaler().fit(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="features"):
        StandardScaler().fit(X).transform(X[:, :2])
