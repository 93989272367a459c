import jax
import numpy as np
import pytest
from scipy import stats

from jaxml.data.shapes import SHAPE_NAMES, make_shapes

DATA = make_shapes(jax.random.PRNGKey(0), 400, size=32)


def test_shapes_are_deterministic_balanced_and_well_formed():
    again = make_shapes(jax.random.PRNGKey(0), 400, size=32)
    np.testing.assert_array_equal(DATA.images, again.images)
    assert DATA.images.shape == (400, 32, 32, 3) and DATA.masks.shape == (400, 32, 32) and DATA.boxes.shape == (400, 4)
    assert float(DATA.images.min()) >= 0 and float(DATA.images.max()) <= 1
    counts = np.bincount(np.asarray(DATA.labels), minlength=4)
    assert stats.chisquare(counts).pvalue > 1e-3  # uniform over the four classes


def test_masks_carry_the_label_and_boxes_are_tight():
    masks, labels, boxes = np.asarray(DATA.masks), np.asarray(DATA.labels), np.asarray(DATA.boxes).astype(int)
    for mask, label, (x0, y0, x1, y1) in zip(masks, labels, boxes):
        assert set(np.unique(mask)) == {0, label + 1}
        ys, xs = np.nonzero(mask)
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)


@pytest.mark.parametrize("label, area_ratio", [(0, np.pi), (1, 4 * 0.8**2), (2, 2.0), (3, 2 * 4 / 3 - 4 / 9)])
def test_shape_areas_follow_their_geometry(label, area_ratio):
    """Pixel area ≈ closed-form area in units of r², with r recovered from the box
    (circle, cross: width 2r; square: 1.6r; triangle: height 2r)."""
    masks, labels, boxes = np.asarray(DATA.masks), np.asarray(DATA.labels), np.asarray(DATA.boxes)
    chosen = labels == label
    area = (masks[chosen] > 0).sum(axis=(1, 2))
    extent = {0: boxes[chosen, 2] - boxes[chosen, 0], 1: (boxes[chosen, 2] - boxes[chosen, 0]) / 0.8,
              2: boxes[chosen, 3] - boxes[chosen, 1], 3: boxes[chosen, 2] - boxes[chosen, 0]}[label]
    r = extent / 2
    ratio = np.median(area / r**2)
    assert abs(ratio - area_ratio) / area_ratio < 0.15, (SHAPE_NAMES[label], ratio, area_ratio)


def test_bad_settings():
    with pytest.raises(ValueError, match="radius_range"):
        make_shapes(jax.random.PRNGKey(0), 4, radius_range=(0.2, 0.6))
    with pytest.raises(ValueError, match="size must be >= 8"):
        make_shapes(jax.random.PRNGKey(0), 4, size=4)
