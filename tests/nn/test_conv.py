import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.conv import conv_direct, conv_output_size, conv_transpose_direct, conv_transpose_output_size

LAYOUTS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}

CASES = [  # spatial, window, c_in, c_out, stride, padding, dilation, groups
    ((17,), (3,), 4, 6, 2, 1, 1, 1),
    ((11, 9), (3, 3), 3, 5, 1, 0, 1, 1),
    ((12, 13), (3, 2), 4, 6, (2, 3), (1, 2), (2, 1), 2),
    ((10, 10), (5, 5), 6, 6, 3, 2, 1, 6),  # depthwise
    ((6, 7, 5), (2, 3, 2), 2, 3, 1, 1, (1, 2, 1), 1),
]


def _lax_conv(x, w, stride, padding, dilation, groups):
    rank = w.ndim - 2
    per_axis = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)  # noqa: E731
    return jax.lax.conv_general_dilated(x, w, per_axis(stride), [(p, p) for p in per_axis(padding)],
                                        rhs_dilation=per_axis(dilation), dimension_numbers=LAYOUTS[rank],
                                        feature_group_count=groups, precision="highest")


def _operands(spatial, window, c_in, c_out, groups, seed=0):
    kx, kw = jax.random.split(jax.random.PRNGKey(seed))
    return (jax.random.normal(kx, (2, *spatial, c_in)), jax.random.normal(kw, (*window, c_in // groups, c_out)))


@pytest.mark.parametrize("spatial, window, c_in, c_out, stride, padding, dilation, groups", CASES)
def test_direct_convolution_equals_xla(spatial, window, c_in, c_out, stride, padding, dilation, groups):
    x, w = _operands(spatial, window, c_in, c_out, groups)
    ours = conv_direct(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(ours, _lax_conv(x, w, stride, padding, dilation, groups), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("spatial, window, c_in, c_out, stride, padding, dilation, groups", CASES)
def test_transposed_convolution_is_the_adjoint(spatial, window, c_in, c_out, stride, padding, dilation, groups):
    x, w = _operands(spatial, window, c_in, c_out, groups, seed=1)
    y_shape = _lax_conv(x, w, stride, padding, dilation, groups).shape
    y = jax.random.normal(jax.random.PRNGKey(2), y_shape)
    rank = len(spatial)
    per_axis = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)  # noqa: E731
    # choose output_padding so that the adjoint lands back on x's size
    output_padding = tuple(n - conv_transpose_output_size(m, k, stride=s, padding=p, dilation=d)
                           for n, m, k, s, p, d in zip(spatial, y_shape[1:-1], window, per_axis(stride),
                                                       per_axis(padding), per_axis(dilation)))
    ours = conv_transpose_direct(y, w, stride=stride, padding=padding, dilation=dilation,
                                 output_padding=output_padding, groups=groups)
    _, vjp = jax.vjp(lambda x: _lax_conv(x, w, stride, padding, dilation, groups), x)
    np.testing.assert_allclose(ours, vjp(y)[0], rtol=1e-4, atol=1e-4)
    forward = conv_direct(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(jnp.vdot(forward, y), jnp.vdot(x, ours), rtol=1e-4)  # ⟨Cx, y⟩ = ⟨x, Cᵀy⟩


@pytest.mark.parametrize("n, k, s, p, d", [(28, 5, 1, 0, 1), (28, 3, 2, 1, 1), (32, 3, 1, 2, 2), (7, 7, 3, 0, 1),
                                           (10, 4, 3, 1, 1), (5, 3, 1, 0, 2)])
def test_output_sizes_equal_the_shapes_xla_produces(n, k, s, p, d):
    x, w = jnp.zeros((1, n, 1)), jnp.zeros((k, 1, 1))
    expected = _lax_conv(x, w, s, p, d, 1).shape[1]
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == expected
    # the transposed size recovers n for the one output_padding in [0, s) that fits
    recovered = {conv_transpose_output_size(expected, k, stride=s, padding=p, dilation=d, output_padding=o)
                 for o in range(s)}
    assert n in recovered


def test_bad_input_gets_clear_errors():
    x, w = _operands((8, 8), (3, 3), 4, 6, 1)
    with pytest.raises(ValueError, match="kernel spans 9 inputs .* only 8"):
        conv_output_size(8, 5, dilation=2)
    with pytest.raises(ValueError, match="kernel spans 11 inputs"):
        conv_direct(x, jnp.zeros((11, 3, 4, 6)))
    with pytest.raises(ValueError, match="2 spatial axes"):
        conv_direct(x[:, 0], w)
    with pytest.raises(ValueError, match="x has 4 channels, but the kernel .* expects 8 in_channels"):
        conv_direct(x, w, groups=2)
    with pytest.raises(ValueError, match=r"groups \(4\) must divide the kernel's out_channels \(6\)"):
        conv_direct(x, jnp.zeros((3, 3, 1, 6)), groups=4)
    with pytest.raises(ValueError, match="stride must be an int or 2 ints"):
        conv_direct(x, w, stride=(1, 1, 1))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv_direct(x, w, stride=0)
    with pytest.raises(ValueError, match="output_padding must be smaller than stride 2"):
        conv_transpose_output_size(4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="expects 6 out_channels"):
        conv_transpose_direct(x, w)
