"""ID3 / gain-ratio multiway trees: Quinlan's PlayTennis tree (published), a recursive
textbook ID3 written here (oracle) on random categorical data, jit, bad input."""

import math

import jax
import numpy as np
import pytest

from jaxml.classical import id3

# Mitchell (1997), Table 3.2: Outlook (Sunny, Overcast, Rain), Temperature (Hot, Mild,
# Cool), Humidity (High, Normal), Wind (Weak, Strong) -> PlayTennis (No, Yes)
PLAY_TENNIS = np.array([
    [0, 0, 0, 0, 0], [0, 0, 0, 1, 0], [1, 0, 0, 0, 1], [2, 1, 0, 0, 1], [2, 2, 1, 0, 1],
    [2, 2, 1, 1, 0], [1, 2, 1, 1, 1], [0, 1, 0, 0, 0], [0, 2, 1, 0, 1], [2, 1, 1, 0, 1],
    [0, 1, 1, 1, 1], [1, 1, 0, 1, 1], [1, 0, 1, 0, 1], [2, 1, 0, 1, 0]])


def test_play_tennis_grows_quinlans_tree():
    X, y = PLAY_TENNIS[:, :4], PLAY_TENNIS[:, 4]
    est = id3.id3_classifier(n_categories=3, n_classes=2, max_depth=3)
    tree = est.fit(X, y)
    feature = np.asarray(tree.feature)
    # root: Outlook; Sunny -> Humidity, Overcast -> leaf Yes, Rain -> Wind
    assert feature[0] == 0 and feature[1] == 2 and feature[2] == -1 and feature[3] == 3
    assert np.all(feature[[4, 5, 10, 11]] == -1)  # pure leaves below them
    np.testing.assert_array_equal(est.predict(tree, X), y)
    assert np.asarray(tree.n_node_samples)[[0, 1, 2, 3]].tolist() == [14, 5, 4, 5]


def _entropy(y, C):
    p = np.bincount(y, minlength=C) / len(y)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def _textbook_id3(X, y, used, depth, *, K, C, D, criterion, parent):
    """Recursive ID3: returns a nested dict tree."""
    if len(y) == 0:
        return {"proba": parent}
    proba = np.bincount(y, minlength=C) / len(y)
    if depth == D or len(y) < 2 or proba.max() == 1:
        return {"proba": proba}
    best, best_score = None, id3.MIN_GAIN
    for j in range(X.shape[1]):
        if j in used:
            continue
        fracs = np.array([np.mean(X[:, j] == c) for c in range(K)])
        gain = _entropy(y, C) - sum(f * _entropy(y[X[:, j] == c], C)
                                    for c, f in enumerate(fracs) if f > 0)
        if criterion == "gain_ratio":
            info = -sum(f * math.log2(f) for f in fracs if f > 0)
            gain = gain / info if info > 0 else 0.0
        if gain > best_score:
            best, best_score = j, gain
    if best is None:
        return {"proba": proba}
    return {"proba": proba, "feature": best, "children": [
        _textbook_id3(X[X[:, best] == c], y[X[:, best] == c], used | {best}, depth + 1,
                      K=K, C=C, D=D, criterion=criterion, parent=proba) for c in range(K)]}


def _predict(node, x):
    while "feature" in node:
        node = node["children"][x[node["feature"]]]
    return node["proba"]


@pytest.mark.parametrize("criterion", ["entropy", "gain_ratio"])
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_textbook_recursive_id3_on_random_categorical_data(criterion, seed):
    rng = np.random.default_rng(seed)
    K, C, D, d = 4, 3, 3, 5
    X = rng.integers(0, K, (300, d))
    X[:, 4] = rng.integers(0, 2, 300)  # a feature with fewer categories than K
    y = np.where(rng.random(300) < 0.8, (X[:, 0] + X[:, 1] * (X[:, 4] + 1)) % C,
                 rng.integers(0, C, 300))
    est = id3.id3_classifier(n_categories=K, n_classes=C, max_depth=D, criterion=criterion)
    tree = jax.jit(est.fit)(X, y)
    ref = _textbook_id3(X, y, set(), 0, K=K, C=C, D=D, criterion=criterion, parent=None)
    grid = np.stack(np.meshgrid(*[np.arange(K)] * 4, np.arange(2), indexing="ij"), -1)
    grid = grid.reshape(-1, d)
    expected = np.array([_predict(ref, x) for x in grid])
    np.testing.assert_allclose(est.predict_proba(tree, grid), expected, atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="criterion"):
        id3.id3_classifier(n_categories=3, n_classes=2, criterion="gini")
    with pytest.raises(ValueError, match="max_depth"):
        id3.id3_classifier(n_categories=3, n_classes=2, max_depth=0)
    est = id3.id3_classifier(n_categories=3, n_classes=2)
    X, y = PLAY_TENNIS[:, :4], PLAY_TENNIS[:, 4]
    with pytest.raises(ValueError, match=r"category codes in \[0, n_categories=3\)"):
        est.fit(X + 1, y)
    with pytest.raises(ValueError, match="class codes"):
        est.fit(X, y + 1)
    with pytest.raises(TypeError, match="X must be"):
        est.fit("abc", y)
