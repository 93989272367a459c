import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.data.bundled import load_sklearn
from jaxml.nn.cnn import (CBAM, VGG, AlexNet, DenseNet, EfficientNet, LeNet5, ResNet, SqueezeExcite,
                          adaptive_avg_pool, efficientnet_resolution, resnet18, resnet50)
from jaxml.nn.models import count_params
from jaxml.nn.vit import ViT
from jaxml.train import fit, make_trainer

# Published parameter counts (torchvision's model documentation; LeNet-5: LeCun et al. 1998's layer sizes)
PUBLISHED = [
    ("lenet5", LeNet5(10), (32, 32, 1), 61_706),
    ("alexnet", AlexNet(), (224, 224, 3), 61_100_840),
    ("vgg16", VGG(), (224, 224, 3), 138_357_544),
    ("resnet18", resnet18(), (224, 224, 3), 11_689_512),
    ("resnet50", resnet50(), (224, 224, 3), 25_557_032),
    ("densenet121", DenseNet(), (224, 224, 3), 7_978_856),
    ("efficientnet_b0", EfficientNet(), (224, 224, 3), 5_288_548),
    ("vit_b16", ViT(), (224, 224, 3), 86_567_656),
]


@pytest.mark.parametrize("name, model, shape, expected", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_parameter_counts_equal_the_published_architectures(name, model, shape, expected):
    variables = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), jnp.zeros((1, *shape))))
    assert count_params(variables["params"]) == expected
    out = jax.eval_shape(lambda v: model.apply(v, jnp.zeros((2, *shape))), variables)
    assert out.shape == (2, model.num_classes)


SMALL = {  # digits-sized versions (8×8 grey; LeNet and AlexNet see them upsampled)
    "lenet5": (LeNet5(10), 32),
    "alexnet": (AlexNet(10, (16, 32, 32, 32, 32), 64, 3, 1, 2, 0.0), 16),
    "vgg": (VGG(10, (16, "M", 32, "M"), pool_output=1, hidden=64, dropout_rate=0.0), 8),
    "resnet": (ResNet((1, 1), "basic", 10, width=16, small_inputs=True), 8),
    "resnet_bottleneck_cbam": (ResNet((1, 1), "bottleneck", 10, width=8, small_inputs=True, attention="cbam"), 8),
    "preact_resnet_se": (ResNet((1, 1), "basic", 10, width=16, small_inputs=True, preact=True, attention="se"), 8),
    "densenet": (DenseNet((2, 2), 8, 16, 2, 10, small_inputs=True), 8),
    "efficientnet": (EfficientNet(0.25, 0.34, 10, stages=((1, 3, 1, 16, 1), (4, 3, 2, 24, 1), (4, 3, 2, 40, 1)),
                                  stem_stride=1, dropout_rate=0.0), 8),
    "vit": (ViT(10, 2, 32, 2, 4, 64), 8),
}


def _digits(size):
    X, y = load_sklearn("digits")
    X = jnp.asarray(X / 16.0).reshape(-1, 8, 8, 1)
    if size != 8:
        X = jax.image.resize(X, (X.shape[0], size, size, 1), "bilinear")
    order = np.random.default_rng(0).permutation(X.shape[0])
    return (X[order[:1400]], jnp.asarray(y)[order[:1400]]), (X[order[1400:]], jnp.asarray(y)[order[1400:]])


FAST = ("lenet5", "resnet", "vgg", "preact_resnet_se")  # the rest compile for 10–16 s each: slow


@pytest.mark.parametrize("name", [*FAST, *(pytest.param(n, marks=pytest.mark.slow) for n in sorted(SMALL)
                                           if n not in FAST)])
def test_one_jitted_training_step_lowers_the_loss(name):
    model, size = SMALL[name]
    (X, y), _ = _digits(size)
    batch = (X[:64], y[:64])
    trainer = make_trainer(model, optax.adam(3e-3), batch_size=64)
    state = trainer.init(jax.random.PRNGKey(0), X[:2])
    before = trainer.evaluate(state, *batch)["loss"]
    step = jax.jit(trainer.step)
    for i in range(3):
        state, _ = step(state, batch, jax.random.PRNGKey(i))
    assert float(trainer.evaluate(state, *batch)["loss"]) < float(before)
    if state.model_state:  # BatchNorm's running statistics moved
        assert any(float(jnp.abs(leaf - init).max()) > 0 for leaf, init in zip(
            jax.tree.leaves(state.model_state), jax.tree.leaves(trainer.init(jax.random.PRNGKey(0), X[:2]).model_state)))


def _digits_accuracy(name, epochs=15):
    model, size = SMALL[name]
    train, test = _digits(size)
    result = fit(0, model, optax.adam(3e-3), train, test, epochs=epochs, batch_size=50, progress=False)
    return float(result.history["eval_accuracy"][-1])


def test_lenet5_reaches_95_percent_on_digits():
    assert _digits_accuracy("lenet5") >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(SMALL) - {"lenet5", "vit"}))
def test_every_cnn_reaches_95_percent_on_digits(name):
    assert _digits_accuracy(name, epochs=25) >= 0.95


@pytest.mark.slow
def test_vit_reaches_90_percent_on_digits():
    assert _digits_accuracy("vit", epochs=25) >= 0.90


def test_squeeze_excite_and_cbam_equal_their_formulas():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 5, 32))
    se = SqueezeExcite(reduction=8)
    p = se.init(jax.random.PRNGKey(1), x)["params"]
    squeezed = x.mean(axis=(1, 2))
    hidden = jax.nn.relu(squeezed @ p["Conv_0"]["kernel"][0, 0] + p["Conv_0"]["bias"])
    gate = jax.nn.sigmoid(hidden @ p["Conv_1"]["kernel"][0, 0] + p["Conv_1"]["bias"])
    np.testing.assert_allclose(se.apply({"params": p}, x), x * gate[:, None, None, :], rtol=1e-5, atol=1e-6)
    cbam = CBAM(reduction=8)
    q = cbam.init(jax.random.PRNGKey(2), x)["params"]
    w1, w2 = q["Dense_0"]["kernel"], q["Dense_1"]["kernel"]
    mlp = lambda v: jax.nn.relu(v @ w1) @ w2  # noqa: E731
    channel = x * jax.nn.sigmoid(mlp(x.mean(axis=(1, 2))) + mlp(x.max(axis=(1, 2))))[:, None, None, :]
    maps = jnp.concatenate([channel.mean(-1, keepdims=True), channel.max(-1, keepdims=True)], -1)
    spatial = jax.lax.conv_general_dilated(maps, q["Conv_0"]["kernel"], (1, 1), [(3, 3), (3, 3)],
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
    np.testing.assert_allclose(cbam.apply({"params": q}, x), channel * jax.nn.sigmoid(spatial), rtol=1e-4, atol=1e-5)


def test_adaptive_pool_equals_bins_by_hand_and_global_mean():
    x = jax.random.normal(jax.random.PRNGKey(3), (1, 7, 5, 2))
    out = adaptive_avg_pool(x, (3, 2))
    rows, cols = [(0, 3), (2, 5), (4, 7)], [(0, 3), (2, 5)]  # ⌊i·n/m⌋ to ⌈(i+1)·n/m⌉
    for i, (a, b) in enumerate(rows):
        for j, (c, d) in enumerate(cols):
            np.testing.assert_allclose(out[0, i, j], x[0, a:b, c:d].mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(adaptive_avg_pool(x, (1, 1))[:, 0, 0], x.mean(axis=(1, 2)), rtol=1e-5)


def test_compound_scaling_and_bad_input():
    assert [efficientnet_resolution(phi) for phi in range(4)] == [224, 258, 296, 341]
    b1 = EfficientNet(1.0, 1.1)  # B1's depth: ⌈1.1·layers⌉ per stage
    small, deeper = (count_params(jax.eval_shape(lambda m=m: m.init(jax.random.PRNGKey(0), jnp.zeros((1, 64, 64, 3))))
                                  ["params"]) for m in (EfficientNet(), b1))
    assert deeper > small
    with pytest.raises(ValueError, match=r"images must have shape \(batch, height, width, channels\)"):
        resnet18().init(jax.random.PRNGKey(0), jnp.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match="block must be one of"):
        ResNet(block="wide").init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3)))
    with pytest.raises(ValueError, match="multiple of patch_size"):
        ViT(patch_size=16).init(jax.random.PRNGKey(0), jnp.zeros((1, 20, 20, 3)))
    with pytest.raises(ValueError, match="attention must be one of"):
        ResNet((1,), attention="eca", small_inputs=True).init(jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 1)))
