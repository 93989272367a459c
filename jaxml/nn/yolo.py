r"""A YOLO-style single-shot detector (Redmon et al. 2016; anchors as in YOLOv2).

A convolutional backbone of stride s maps an H×W image to an (H/s)×(W/s) grid; at every
cell and for each of A anchor sizes (w_a, h_a) the head predicts
(t_x, t_y, t_w, t_h, t_o, class logits). Decoding:

.. math::
    b_x = (c_x + \sigma(t_x))\,s, \quad b_y = (c_y + \sigma(t_y))\,s, \quad
    b_w = w_a e^{t_w}, \quad b_h = h_a e^{t_h},

objectness σ(t_o), score = σ(t_o)·max softmax(class logits). Training assigns each ground
truth box to the cell holding its centre and to the anchor whose shape overlaps it most
(IoU of the two sizes centred together); the loss is the binary cross-entropy of the
objectness everywhere (negatives weighted by ``noobj_weight``) plus, at the assigned
(cell, anchor), the squared errors of σ(t_x), σ(t_y) against the centre's offset in the
cell and of t_w, t_h against log(b_w/w_a), log(b_h/h_a), and the class cross-entropy.
Detections are the decoded boxes above ``score_threshold`` after non-maximum suppression
(:func:`jaxml.nn.detection.non_max_suppression`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxml.core.validation import check_int
from jaxml.nn.cnn import check_images
from jaxml.nn.detection import non_max_suppression
from jaxml.nn.losses import softmax_cross_entropy


class YOLOConfig(NamedTuple):
    num_classes: int
    anchors: tuple[tuple[float, float], ...] = ((8.0, 8.0), (16.0, 16.0))
    stride: int = 8
    noobj_weight: float = 0.5


class YOLO(nn.Module):
    """Backbone (3×3 conv → ReLU, with a 2×2 max-pool after each of the first log₂ stride
    stages) and a 1×1 head of A·(5 + classes) channels; output (batch, S, S, A, 5 + C)."""

    config: YOLOConfig
    widths: Sequence[int] = (16, 32, 64, 64)

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        n_pools = int(round(math.log2(self.config.stride)))
        if 2**n_pools != self.config.stride or len(self.widths) < n_pools:
            raise ValueError(f"stride must be a power of 2 with at most {len(self.widths)} pools, "
                             f"got {self.config.stride}")
        if x.shape[1] % self.config.stride or x.shape[2] % self.config.stride:
            raise ValueError(f"image size {x.shape[1:3]} must be divisible by stride {self.config.stride}")
        for i, width in enumerate(self.widths):
            x = nn.relu(nn.Conv(width, (3, 3), padding="SAME")(x))
            if i < n_pools:
                x = nn.max_pool(x, (2, 2), (2, 2))
        n_anchors = len(self.config.anchors)
        out = nn.Conv(n_anchors * (5 + self.config.num_classes), (1, 1))(x)
        return out.reshape(*out.shape[:3], n_anchors, 5 + self.config.num_classes)


def _shape_iou(w: jax.Array, h: jax.Array, anchors: jax.Array) -> jax.Array:
    inter = jnp.minimum(w, anchors[:, 0]) * jnp.minimum(h, anchors[:, 1])
    return inter / (w * h + anchors[:, 0] * anchors[:, 1] - inter)


def encode_targets(box: jax.Array, label: jax.Array, config: YOLOConfig, grid: tuple[int, int]) -> jax.Array:
    """Training target (S_y, S_x, A, 6) for one image with one box (x0, y0, x1, y1):
    objectness, x and y offsets in the cell, log size ratios, class."""
    anchors = jnp.asarray(config.anchors, jnp.float32)
    w, h = box[2] - box[0], box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2 / config.stride, (box[1] + box[3]) / 2 / config.stride
    col = jnp.clip(jnp.floor(cx), 0, grid[1] - 1).astype(jnp.int32)
    row = jnp.clip(jnp.floor(cy), 0, grid[0] - 1).astype(jnp.int32)
    a = jnp.argmax(_shape_iou(w, h, anchors))
    values = jnp.array([1.0, cx - col, cy - row, jnp.log(w / anchors[a, 0]), jnp.log(h / anchors[a, 1]),
                        label.astype(jnp.float32)])
    return jnp.zeros((*grid, anchors.shape[0], 6)).at[row, col, a].set(values)


def yolo_loss(predictions: jax.Array, targets: jax.Array, config: YOLOConfig) -> jax.Array:
    """Mean over the batch of the loss in the module docstring."""
    obj = targets[..., 0]
    logit = predictions[..., 4]
    bce = jnp.logaddexp(0.0, logit) - obj * logit  # −[o log σ + (1 − o) log(1 − σ)]
    objectness = jnp.sum(jnp.where(obj > 0, bce, config.noobj_weight * bce), axis=(1, 2, 3))
    offsets = jnp.sum((jax.nn.sigmoid(predictions[..., :2]) - targets[..., 1:3]) ** 2, axis=-1)
    sizes = jnp.sum((predictions[..., 2:4] - targets[..., 3:5]) ** 2, axis=-1)
    classes = softmax_cross_entropy(predictions[..., 5:], targets[..., 5].astype(jnp.int32))
    positive = jnp.sum(obj * (5.0 * offsets + 5.0 * sizes + classes), axis=(1, 2, 3))
    return jnp.mean(objectness + positive)


class Detections(NamedTuple):
    boxes: jax.Array  # (max_outputs, 4)
    scores: jax.Array  # (max_outputs,)
    classes: jax.Array  # (max_outputs,)
    valid: jax.Array  # (max_outputs,) bool


def decode(predictions: jax.Array, config: YOLOConfig, *, score_threshold: float = 0.1, iou_threshold: float = 0.5,
           max_outputs: int = 10) -> Detections:
    """Boxes, scores and classes of one image's predictions (S_y, S_x, A, 5 + C) after
    thresholding and NMS."""
    max_outputs = check_int(max_outputs, "max_outputs", minimum=1)
    rows, cols, n_anchors = predictions.shape[:3]
    anchors = jnp.asarray(config.anchors, jnp.float32)
    grid_y, grid_x = jnp.meshgrid(jnp.arange(rows), jnp.arange(cols), indexing="ij")
    cx = (grid_x[..., None] + jax.nn.sigmoid(predictions[..., 0])) * config.stride
    cy = (grid_y[..., None] + jax.nn.sigmoid(predictions[..., 1])) * config.stride
    w, h = anchors[:, 0] * jnp.exp(predictions[..., 2]), anchors[:, 1] * jnp.exp(predictions[..., 3])
    boxes = jnp.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).reshape(-1, 4)
    probabilities = jax.nn.softmax(predictions[..., 5:], axis=-1).reshape(-1, predictions.shape[-1] - 5)
    scores = jax.nn.sigmoid(predictions[..., 4]).reshape(-1) * probabilities.max(axis=-1)
    scores = jnp.where(scores >= score_threshold, scores, -1.0)
    index, valid = non_max_suppression(boxes, scores, iou_threshold=iou_threshold, max_outputs=max_outputs)
    valid = valid & (scores[index] >= 0)
    return Detections(boxes[index], scores[index], probabilities.argmax(axis=-1)[index], valid)


def train_yolo(key: jax.Array, model: YOLO, images: jax.Array, boxes: jax.Array, labels: jax.Array, *,
               epochs: int, batch_size: int, learning_rate: float = 2e-3) -> tuple[Any, jax.Array]:
    """Fit ``model`` to one box per image with Adam through
    :func:`jaxml.train.objective.minimize`; returns ``(variables, losses per epoch)``."""
    from jaxml.train.objective import minimize

    config = model.config
    grid = (images.shape[1] // config.stride, images.shape[2] // config.stride)
    targets = jax.vmap(lambda b, c: encode_targets(b, c, config, grid))(boxes, labels)
    key_init, key_train = jax.random.split(key)
    variables = model.init(key_init, images[:1])

    def objective(_, variables, batch):
        x, t = batch
        return yolo_loss(model.apply(variables, x), t, config)

    return minimize(key_train, objective, variables, optax.adam(learning_rate), (images, targets),
                    epochs=epochs, batch_size=batch_size)
