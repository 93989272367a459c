import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import jaccard_score

from jaxml.nn.detection import average_precision, box_iou, mean_iou, non_max_suppression

RNG = np.random.default_rng(0)


def _random_boxes(n):
    xy = RNG.uniform(0, 20, (n, 2))
    return np.concatenate([xy, xy + RNG.uniform(2, 10, (n, 2))], axis=1).astype(np.float32)


def test_box_iou_hand_cases_and_brute_force():
    a = np.array([[0, 0, 2, 2], [0, 0, 1, 1], [5, 5, 6, 6]], np.float32)
    b = np.array([[1, 1, 3, 3], [0, 0, 2, 2]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1 / 7, 1.0], [0.0, 0.25], [0.0, 0.0]], rtol=1e-6)
    x, y = _random_boxes(30), _random_boxes(20)
    grid = np.linspace(0, 30, 301) + 0.05  # pixel centres at 0.1 spacing

    def raster(box):
        inside_x = (grid >= box[0]) & (grid < box[2])
        inside_y = (grid >= box[1]) & (grid < box[3])
        return inside_y[:, None] & inside_x[None, :]

    ours = np.asarray(box_iou(x[:5], y[:5]))
    for i in range(5):
        for j in range(5):
            p, q = raster(x[i]), raster(y[j])
            assert abs(ours[i, j] - (p & q).sum() / max((p | q).sum(), 1)) < 0.03


def _greedy_nms(boxes, scores, threshold):
    kept = []
    for i in np.argsort(-scores, kind="stable"):
        if all(np.asarray(box_iou(boxes[i][None], boxes[j][None]))[0, 0] <= threshold for j in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_equals_the_greedy_loop(threshold):
    boxes, scores = _random_boxes(40), RNG.uniform(size=40).astype(np.float32)
    indices, valid = non_max_suppression(boxes, scores, iou_threshold=threshold)
    assert np.asarray(indices)[np.asarray(valid)].tolist() == _greedy_nms(boxes, scores, threshold)
    short, short_valid = non_max_suppression(boxes, scores, iou_threshold=threshold, max_outputs=3)
    assert np.asarray(short)[np.asarray(short_valid)].tolist() == _greedy_nms(boxes, scores, threshold)[:3]


def test_average_precision_hand_worked():
    gt = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 0]))]
    # TP (0.9), FP (0.8, no overlap), TP (0.7), duplicate of the first (0.6): FP
    det = [(np.array([[0, 0, 10, 10], [50, 50, 60, 60], [21, 21, 30, 30], [1, 0, 10, 10]]),
            np.array([0.9, 0.8, 0.7, 0.6]), np.array([0, 0, 0, 0]))]
    # precision 1, 1/2, 2/3, 2/4 at recall 1/2, 1/2, 1, 1: AP = ½·1 + ½·⅔
    mean, per_class = average_precision(det, gt)
    assert per_class == {0: pytest.approx(0.5 + 0.5 * 2 / 3)} and mean == pytest.approx(5 / 6)
    perfect = [(gt[0][0], np.array([0.9, 0.8]), gt[0][1])]
    assert average_precision(perfect, gt)[0] == pytest.approx(1.0)
    two_images = [(np.zeros((0, 4)), np.zeros(0), np.zeros(0)), (np.array([[0, 0, 4, 4]]), np.array([0.5]), np.array([1]))]
    truth = [(np.array([[0, 0, 4, 4]]), np.array([1])), (np.array([[0, 0, 4, 4]]), np.array([1]))]
    assert average_precision(two_images, truth)[1] == {1: pytest.approx(0.5)}  # one of two found
    wrong_class = [(np.array([[0, 0, 10, 10]]), np.array([0.9]), np.array([1]))]
    assert average_precision(wrong_class, gt)[1][0] == 0.0


def test_mean_iou_equals_sklearn_jaccard():
    y_true, y_pred = RNG.integers(0, 4, (6, 8, 8)), RNG.integers(0, 4, (6, 8, 8))
    y_pred[y_true == 0] = 0
    expected = jaccard_score(y_true.ravel(), y_pred.ravel(), average=None).mean()
    assert float(mean_iou(y_true, y_pred, 5)) == pytest.approx(expected, rel=1e-6)  # class 4 absent: not averaged
    assert float(mean_iou(y_true, y_true, 4)) == 1.0


def test_bad_boxes():
    with pytest.raises(ValueError, match=r"boxes must have shape \(\.\.\., 4\)"):
        non_max_suppression(np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"scores must have shape \(3,\)"):
        non_max_suppression(np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match="same images"):
        average_precision([], [(np.zeros((1, 4)), np.zeros(1))])
    with pytest.raises(ValueError, match="iou_threshold"):
        non_max_suppression(jnp.zeros((3, 4)), jnp.zeros(3), iou_threshold=1.5)
