r"""Dense-prediction metrics and post-processing: box IoU, non-maximum suppression,
mean average precision, and the mean IoU of a segmentation.

Boxes are (x_min, y_min, x_max, y_max).

* **IoU** of boxes A, B: |A ∩ B| / |A ∪ B|, the intersection
  :math:`\max(0, \min(x^A_1, x^B_1) - \max(x^A_0, x^B_0))` × (the same in y).
* **Non-maximum suppression**: visit boxes by decreasing score; keep a box unless it
  overlaps an already kept one with IoU > ``iou_threshold``. Traceable, with a fixed
  ``max_outputs`` (a ``fori_loop`` over the sorted boxes).
* **Average precision at IoU t** (PASCAL VOC from 2010; COCO's AP50 uses 101 recall
  points instead): per class, detections over all images sorted by score; each is a true
  positive if its best-overlapping ground truth of that class and image has IoU ≥ t and
  is not yet taken, else a false positive. With precision p(r) at each recall, AP is the
  area under the precision envelope :math:`\tilde p(r) = \max_{r' \ge r} p(r')`; mAP is
  the mean over the classes that have ground truth.
* **Mean IoU** of a segmentation over C classes: from the pixel confusion matrix M,
  :math:`\mathrm{IoU}_c = M_{cc} / (\sum_j M_{cj} + \sum_i M_{ic} - M_{cc})`, averaged over
  the classes that occur in either map.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int, check_probability


def _check_boxes(boxes: jax.Array, name: str) -> jax.Array:
    boxes = jnp.asarray(boxes, jnp.float32)
    if boxes.ndim < 1 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4) as (x_min, y_min, x_max, y_max), got {boxes.shape}")
    return boxes


def box_iou(a: jax.Array, b: jax.Array) -> jax.Array:
    """Pairwise IoU: boxes ``a`` (n, 4) and ``b`` (m, 4) → (n, m)."""
    a, b = _check_boxes(a, "a"), _check_boxes(b, "b")
    lo = jnp.maximum(a[:, None, :2], b[None, :, :2])
    hi = jnp.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = jnp.prod(jnp.clip(hi - lo, 0.0), axis=-1)
    area = lambda box: jnp.prod(jnp.clip(box[:, 2:] - box[:, :2], 0.0), axis=-1)  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return jnp.where(union > 0, inter / jnp.where(union > 0, union, 1.0), 0.0)


def non_max_suppression(boxes: jax.Array, scores: jax.Array, *, iou_threshold: float = 0.5,
                        max_outputs: int | None = None) -> tuple[jax.Array, jax.Array]:
    """``(indices, valid)``: up to ``max_outputs`` kept boxes in decreasing score, as
    indices into ``boxes`` with a mask of the real entries."""
    boxes, scores = _check_boxes(boxes, "boxes"), jnp.asarray(scores)
    if scores.shape != boxes.shape[:1]:
        raise ValueError(f"scores must have shape ({boxes.shape[0]},), got {scores.shape}")
    check_probability(iou_threshold, "iou_threshold")
    n = boxes.shape[0]
    max_outputs = n if max_outputs is None else check_int(max_outputs, "max_outputs", minimum=1)
    order = jnp.argsort(-scores)
    iou = box_iou(boxes[order], boxes[order])

    def visit(i, keep):
        suppressed = jnp.any(keep & (iou[i] > iou_threshold) & (jnp.arange(n) < i))
        return keep.at[i].set(~suppressed)

    keep = jax.lax.fori_loop(0, n, visit, jnp.zeros(n, bool))
    rank = jnp.where(keep, jnp.cumsum(keep) - 1, n)  # position among the kept
    indices = jnp.zeros(max_outputs + 1, jnp.int32).at[jnp.minimum(rank, max_outputs)].set(order.astype(jnp.int32))
    count = jnp.minimum(keep.sum(), max_outputs)
    return indices[:max_outputs], jnp.arange(max_outputs) < count


def average_precision(detections: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                      ground_truth: Sequence[tuple[np.ndarray, np.ndarray]], *, iou_threshold: float = 0.5,
                      n_classes: int | None = None) -> tuple[float, dict[int, float]]:
    """mAP at ``iou_threshold`` and the AP of each class with ground truth.

    ``detections[i]`` = (boxes (k, 4), scores (k,), classes (k,)) of image i and
    ``ground_truth[i]`` = (boxes (g, 4), classes (g,)). Host-side (NumPy): it runs once per
    evaluation, over ragged per-image lists.
    """
    if len(detections) != len(ground_truth):
        raise ValueError(f"detections and ground_truth must list the same images, got {len(detections)} and "
                         f"{len(ground_truth)}")
    check_probability(iou_threshold, "iou_threshold")
    gt_classes = [np.asarray(c, int) for _, c in ground_truth]
    classes = sorted(set(np.concatenate(gt_classes).tolist())) if gt_classes else []
    if n_classes is not None:
        classes = [c for c in classes if c < n_classes]
    per_class = {}
    for c in classes:
        n_gt = sum(int((g == c).sum()) for g in gt_classes)
        found = []  # (score, image, box)
        for image, (boxes, scores, labels) in enumerate(detections):
            boxes, scores, labels = np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores), np.asarray(labels)
            found += [(float(s), image, b) for b, s, lab in zip(boxes, scores, labels) if lab == c]
        found.sort(key=lambda item: -item[0])
        taken = {image: np.zeros(int((gt_classes[image] == c).sum()), bool) for image in range(len(ground_truth))}
        hits = []
        for _, image, box in found:
            gt_boxes = np.asarray(ground_truth[image][0], np.float32).reshape(-1, 4)[gt_classes[image] == c]
            if gt_boxes.shape[0] == 0:
                hits.append(False)
                continue
            overlaps = np.asarray(box_iou(box[None], gt_boxes))[0]
            best = int(np.argmax(overlaps))
            hit = overlaps[best] >= iou_threshold and not taken[image][best]
            if hit:
                taken[image][best] = True
            hits.append(bool(hit))
        hits = np.asarray(hits, bool)
        tp, fp = np.cumsum(hits), np.cumsum(~hits)
        recall = np.concatenate([[0.0], tp / n_gt, [1.0]])
        precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1), [0.0]])
        envelope = np.maximum.accumulate(precision[::-1])[::-1]
        steps = np.flatnonzero(recall[1:] != recall[:-1])
        per_class[c] = float(np.sum((recall[steps + 1] - recall[steps]) * envelope[steps + 1]))
    mean = float(np.mean(list(per_class.values()))) if per_class else float("nan")
    return mean, per_class


def mean_iou(y_true: jax.Array, y_pred: jax.Array, n_classes: int) -> jax.Array:
    """Mean over the present classes of the per-class IoU of two label maps (any shape)."""
    from jaxml.classical.metrics import confusion_matrix

    m = confusion_matrix(jnp.ravel(y_true), jnp.ravel(y_pred), n_classes).astype(jnp.float32)
    tp = jnp.diag(m)
    union = m.sum(axis=0) + m.sum(axis=1) - tp
    present = union > 0
    return jnp.sum(jnp.where(present, tp / jnp.where(present, union, 1.0), 0.0)) / jnp.maximum(present.sum(), 1)
