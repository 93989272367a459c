"""MNIST-1D (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D", ICML 2024),
generated locally.

Each example is one of ten 12-point 1-D digit templates, padded, sheared, scaled,
translated, smoothed with correlated noise, iid noise added and downsampled to 40 points.
The ``mnist1d`` package's ``make_dataset`` builds it from a seed with NumPy, so the data
never has to be downloaded (its ``get_dataset`` would download a pickle by default).

The arrays are cached as ``.npz`` (no pickle) under ``$JAXML_CACHE_DIR`` (default
``~/.cache/jaxml``), keyed by the generation arguments, so a second call is instant and
every call with the same arguments returns the same arrays.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


class Dataset(NamedTuple):
    """A train/test split as NumPy arrays (``x``: float32, ``y``: int32)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def cache_dir() -> Path:
    """Where generated datasets are cached (outside the repository)."""
    return Path(os.environ.get("JAXML_CACHE_DIR", Path.home() / ".cache" / "jaxml"))


def mnist1d_args(*, num_samples: int = 5000, train_split: float = 0.8, seed: int = 42,
                 **overrides: Any) -> dict:
    """The ``mnist1d`` generation arguments: the package defaults with overrides applied.

    Raises:
      ValueError: for an unknown argument name or an out-of-range split/size.
    """
    from mnist1d.data import get_dataset_args

    args = get_dataset_args(as_dict=True)
    args.pop("url")
    unknown = set(overrides) - set(args)
    if unknown:
        raise ValueError(f"unknown mnist1d arguments {sorted(unknown)}; known: {sorted(args)}")
    if not 0.0 < train_split < 1.0:
        raise ValueError(f"train_split must be in (0, 1), got {train_split}")
    if num_samples < 20:
        raise ValueError(f"num_samples must be >= 20, got {num_samples}")
    args.update(num_samples=int(num_samples), train_split=float(train_split), seed=int(seed))
    args.update(overrides)
    return args


def _generate(args: dict) -> Dataset:
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView

    # make_dataset seeds NumPy's global generator; keep the caller's state untouched.
    state = np.random.get_state()
    try:
        raw = make_dataset(ObjectView(dict(args)))
    finally:
        np.random.set_state(state)
    return Dataset(
        np.asarray(raw["x"], np.float32), np.asarray(raw["y"], np.int32),
        np.asarray(raw["x_test"], np.float32), np.asarray(raw["y_test"], np.int32),
    )


def load_mnist1d(*, num_samples: int = 5000, train_split: float = 0.8, seed: int = 42,
                 cache: bool = True, **overrides: Any) -> Dataset:
    """Load MNIST-1D, generating and caching it on first use.

    Args:
      num_samples: total examples (train + test); the default gives 4000 / 1000.
      train_split: fraction used for training.
      seed: the generator's seed (42 is the paper's dataset).
      cache: read/write the on-disk cache.
      **overrides: any other ``mnist1d`` argument (``shuffle_seq``, ``iid_noise_scale``,
        ``final_seq_length``, ...), e.g. to build a shifted test set.

    Returns:
      ``Dataset(x_train (n, L) float32, y_train (n,) int32, x_test, y_test)``.
    """
    args = mnist1d_args(num_samples=num_samples, train_split=train_split, seed=seed, **overrides)
    digest = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / "mnist1d" / f"{digest}.npz"
    if cache and path.exists():
        with np.load(path, allow_pickle=False) as f:
            return Dataset(*(f[k] for k in Dataset._fields))
    data = _generate(args)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **data._asdict())
        os.replace(tmp, path)
    return data
