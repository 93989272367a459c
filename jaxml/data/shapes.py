r"""Generated images of shapes, with class labels, segmentation masks and boxes.

Each image (size × size × 3, values in [0, 1]) holds one shape of class
0: circle, 1: square, 2: triangle, 3: cross, centred at (c_x, c_y) with "radius" r
(uniform in ``radius_range`` × size, the centre kept so the shape fits), drawn in a random
colour over a darker random background, plus Gaussian pixel noise of sd ``noise``. A pixel
at (x, y) (its centre, x + ½, y + ½) belongs to the shape when

* circle: (x − c_x)² + (y − c_y)² ≤ r²;
* square: |x − c_x| ≤ 0.8r and |y − c_y| ≤ 0.8r;
* triangle (apex up): c_y − r ≤ y ≤ c_y + r and |x − c_x| ≤ (y − c_y + r)/2;
* cross: a bar of half-width r/3 and half-length r in each direction.

``masks`` is the per-pixel class map with 0 for background and class + 1 on the shape (so
a segmentation network predicts ``num_classes + 1`` channels); ``boxes`` are the tight
boxes (x_min, y_min, x_max, y_max) of the shape's pixels in pixel units, x_max and y_max
exclusive. Generation is one ``vmap`` over examples: the same key gives the same set.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_positive

SHAPE_NAMES = ("circle", "square", "triangle", "cross")


class Shapes(NamedTuple):
    images: jax.Array  # (n, size, size, 3) float32
    labels: jax.Array  # (n,) int32
    masks: jax.Array  # (n, size, size) int32: 0 background, label + 1 on the shape
    boxes: jax.Array  # (n, 4) float32: x_min, y_min, x_max, y_max


def _inside(label: jax.Array, x: jax.Array, y: jax.Array, r: jax.Array) -> jax.Array:
    ax, ay = jnp.abs(x), jnp.abs(y)
    circle = x**2 + y**2 <= r**2
    square = (ax <= 0.8 * r) & (ay <= 0.8 * r)
    triangle = (y >= -r) & (y <= r) & (ax <= (y + r) / 2)
    cross = ((ax <= r / 3) & (ay <= r)) | ((ay <= r / 3) & (ax <= r))
    return jnp.select([label == 0, label == 1, label == 2], [circle, square, triangle], cross)


def _one(key: jax.Array, size: int, radius_range: tuple[float, float], noise: float):
    k_label, k_r, k_c, k_colour, k_bg, k_noise = jax.random.split(key, 6)
    label = jax.random.randint(k_label, (), 0, len(SHAPE_NAMES))
    r = jax.random.uniform(k_r, (), minval=radius_range[0] * size, maxval=radius_range[1] * size)
    centre = jax.random.uniform(k_c, (2,), minval=r + 0.5, maxval=size - r - 0.5)
    coords = jnp.arange(size) + 0.5
    x, y = coords[None, :] - centre[0], coords[:, None] - centre[1]
    inside = _inside(label, x, y, r)
    colour = jax.random.uniform(k_colour, (3,), minval=0.5, maxval=1.0)
    background = jax.random.uniform(k_bg, (3,), minval=0.0, maxval=0.35)
    image = jnp.where(inside[..., None], colour, background)
    image = jnp.clip(image + noise * jax.random.normal(k_noise, image.shape), 0.0, 1.0)
    columns, rows = inside.any(axis=0), inside.any(axis=1)
    index = jnp.arange(size)
    box = jnp.array([jnp.min(jnp.where(columns, index, size)), jnp.min(jnp.where(rows, index, size)),
                     jnp.max(jnp.where(columns, index, -1)) + 1, jnp.max(jnp.where(rows, index, -1)) + 1],
                    jnp.float32)
    return image.astype(jnp.float32), label.astype(jnp.int32), jnp.where(inside, label + 1, 0).astype(jnp.int32), box


def make_shapes(key: jax.Array, n: int, *, size: int = 32, radius_range: tuple[float, float] = (0.15, 0.35),
                noise: float = 0.05) -> Shapes:
    """``n`` shape images (module docstring)."""
    n = check_int(n, "n", minimum=1)
    size = check_int(size, "size", minimum=8)
    low, high = radius_range
    if not 0 < low <= high < 0.5:
        raise ValueError(f"radius_range must satisfy 0 < low <= high < 0.5 (fractions of size), got {radius_range}")
    check_positive(noise, "noise", strict=False)
    images, labels, masks, boxes = jax.vmap(lambda k: _one(k, size, (low, high), noise))(jax.random.split(key, n))
    return Shapes(images, labels, masks, boxes)
