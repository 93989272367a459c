import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.data.shapes import make_shapes
from jaxml.nn.detection import average_precision
from jaxml.nn.yolo import YOLO, YOLOConfig, decode, encode_targets, train_yolo, yolo_loss

CONFIG = YOLOConfig(num_classes=4)
GRID = (4, 4)  # 32 px / stride 8


def _perfect_predictions(target):
    """Logits that decode to exactly the target: the inverse of every decoding step."""
    offsets = jnp.clip(target[..., 1:3], 1e-4, 1 - 1e-4)
    logits = jnp.concatenate([jnp.log(offsets / (1 - offsets)), target[..., 3:5],
                              jnp.where(target[..., :1] > 0, 12.0, -12.0),
                              12.0 * jax.nn.one_hot(target[..., 5].astype(int), 4)], axis=-1)
    return logits


def test_encoding_then_decoding_recovers_the_boxes():
    data = make_shapes(jax.random.PRNGKey(0), 20, size=32)
    for box, label in zip(data.boxes, data.labels):
        target = encode_targets(box, label, CONFIG, GRID)
        assert float(target[..., 0].sum()) == 1.0
        found = decode(_perfect_predictions(target), CONFIG)
        assert int(found.valid.sum()) == 1
        np.testing.assert_allclose(found.boxes[0], box, atol=1e-2)
        assert int(found.classes[0]) == int(label)


def test_assignment_picks_the_centre_cell_and_best_anchor():
    target = encode_targets(jnp.array([17.0, 1.0, 31.0, 15.0]), jnp.array(2), CONFIG, GRID)  # 14×14 box at (24, 8)
    row, col, anchor = np.argwhere(np.asarray(target[..., 0]) > 0)[0]
    assert (row, col, anchor) == (1, 3, 1)  # cell (x 3, y 1), anchor 16×16 (IoU 0.77 vs 0.33 for 8×8)
    np.testing.assert_allclose(target[row, col, anchor, 1:5], [0.0, 0.0, np.log(14 / 16), np.log(14 / 16)], atol=1e-6)


def test_loss_is_small_at_perfect_predictions_and_training_lowers_it():
    data = make_shapes(jax.random.PRNGKey(1), 64, size=32)
    targets = jax.vmap(lambda b, c: encode_targets(b, c, CONFIG, GRID))(data.boxes, data.labels)
    perfect = jax.vmap(_perfect_predictions)(targets)
    assert float(yolo_loss(perfect, targets, CONFIG)) < 0.01 * float(yolo_loss(jnp.zeros_like(perfect), targets, CONFIG))
    _, losses = train_yolo(jax.random.PRNGKey(2), YOLO(CONFIG, (8, 16, 16)), data.images, data.boxes, data.labels,
                           epochs=4, batch_size=32)
    assert float(losses[-1]) < float(losses[0])


def test_bad_configuration():
    with pytest.raises(ValueError, match="stride must be a power of 2"):
        YOLO(YOLOConfig(4, stride=6)).init(jax.random.PRNGKey(0), jnp.zeros((1, 36, 36, 3)))
    with pytest.raises(ValueError, match="divisible by stride 8"):
        YOLO(CONFIG).init(jax.random.PRNGKey(0), jnp.zeros((1, 30, 30, 3)))


@pytest.mark.slow
def test_detector_reaches_map50_above_0_7_on_shapes():
    train = make_shapes(jax.random.PRNGKey(0), 3000, size=32)
    test = make_shapes(jax.random.PRNGKey(1), 300, size=32)
    model = YOLO(CONFIG)
    variables, _ = train_yolo(jax.random.PRNGKey(2), model, train.images, train.boxes, train.labels, epochs=30,
                              batch_size=50)
    found = jax.vmap(lambda p: decode(p, CONFIG))(model.apply(variables, test.images))
    detections = [(np.asarray(b)[v], np.asarray(s)[v], np.asarray(c)[v])
                  for b, s, c, v in zip(found.boxes, found.scores, found.classes, np.asarray(found.valid))]
    truth = [(np.asarray(b)[None], np.asarray(c)[None]) for b, c in zip(test.boxes, test.labels)]
    assert average_precision(detections, truth)[0] >= 0.7
