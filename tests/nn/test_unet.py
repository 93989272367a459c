import jax
import jax.numpy as jnp
import optax
import pytest

from jaxml.data.shapes import make_shapes
from jaxml.nn.detection import mean_iou
from jaxml.nn.models import count_params
from jaxml.nn.unet import UNet
from jaxml.train import fit, make_trainer


def _unet_count(channels, classes, widths):
    """Parameters of the paper's layout counted by hand: two 3×3 convs (no bias) + BN
    (scale, bias) per stage, 2×2 transposed convs with bias, a 1×1 head."""
    double = lambda c_in, c: 9 * c_in * c + 2 * c + 9 * c * c + 2 * c  # noqa: E731
    total, c_in = 0, channels
    for w in widths:
        total, c_in = total + double(c_in, w), w
    total += double(widths[-1], 2 * widths[-1])
    below = 2 * widths[-1]
    for w in reversed(widths):
        total += 4 * below * w + w + double(2 * w, w)
        below = w
    return total + widths[0] * classes + classes


def test_unet_shapes_the_paper_count_and_a_training_step():
    variables = jax.eval_shape(lambda: UNet(2).init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 1))))
    assert count_params(variables["params"]) == _unet_count(1, 2, (64, 128, 256, 512))  # widths 64 … 1024
    data = make_shapes(jax.random.PRNGKey(0), 64, size=16)
    model = UNet(5, widths=(8, 16))
    trainer = make_trainer(model, optax.adam(3e-3), batch_size=32)
    state = trainer.init(jax.random.PRNGKey(1), data.images[:2])
    assert model.apply({"params": state.params, **state.model_state}, data.images[:3]).shape == (3, 16, 16, 5)
    before = trainer.evaluate(state, data.images, data.masks)["loss"]
    step = jax.jit(trainer.step)
    for i in range(5):
        state, _ = step(state, (data.images[:32], data.masks[:32]), jax.random.PRNGKey(i))
    assert float(trainer.evaluate(state, data.images, data.masks)["loss"]) < float(before)
    with pytest.raises(ValueError, match="divisible by 2\\^2 = 4"):
        model.init(jax.random.PRNGKey(0), jnp.zeros((1, 18, 18, 3)))


@pytest.mark.slow
def test_unet_segments_shapes_with_mean_iou_above_0_8():
    train = make_shapes(jax.random.PRNGKey(0), 2000, size=32)
    test = make_shapes(jax.random.PRNGKey(1), 300, size=32)
    model = UNet(5, widths=(16, 32, 64))
    result = fit(0, model, optax.adam(2e-3), (train.images, train.masks), (test.images, test.masks), epochs=12,
                 batch_size=50, progress=False)
    state = result.state
    predicted = jnp.argmax(model.apply({"params": state.params, **state.model_state}, test.images), axis=-1)
    assert float(mean_iou(test.masks, predicted, 5)) >= 0.8
