"""Model artifacts: StableHLO by ``jax.export`` with a symbolic batch dimension, weights in
msgpack (no pickle), and a JSON manifest.

An artifact is a folder::

    manifest.json     name, input/output names, shapes ("batch" for the symbolic axis) and
                      dtypes, platforms, jaxml and jax versions, sha256 of the two files below
    model.stablehlo   jax.export.Exported.serialize() of ``apply_fn(params, x)``
    weights.msgpack   flax.serialization.msgpack_serialize of the flat weights
                      {jax.tree_util.keystr(path): array}, e.g. "['params']['Dense_0']['kernel']"

The parameters are an input of the exported function, not constants folded into it, so
the weights stay a separate, inspectable file and one program serves any retrained
weights of the same shapes. The exported function takes them flat (a dict of arrays) and
rebuilds the pytree inside, so any parameter pytree exports — Flax variables, or a fitted
estimator's NamedTuple (e.g. boosted trees with ``lambda p, x: est.predict_proba(p, x)``);
leaves that are Python scalars or None (static settings such as a class count) are baked
into the program. :func:`load_model` checks both hashes before anything is
deserialised, so a truncated or altered artifact fails loudly instead of serving wrong
numbers. Loading needs jax, flatbuffers and flax's msgpack reader — not the model's Python code.

:func:`export_onnx` writes the same function as ONNX (jax2onnx), for onnxruntime and other
ONNX runtimes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

MANIFEST_VERSION = 2  # 2: flat weights keyed by tree path
FILES = {"model": "model.stablehlo", "weights": "weights.msgpack"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _spec(aval) -> dict:
    return {"shape": ["batch" if not isinstance(d, int) else d for d in aval.shape], "dtype": str(aval.dtype)}


def _flat_weights(params: Any) -> tuple[dict, Callable[[dict], Any]]:
    """``({keystr(path): array leaf}, rebuild)``: the array leaves of ``params`` by path, and
    the function putting such a dict back into the tree (with its static scalar leaves)."""
    entries, treedef = jax.tree_util.tree_flatten_with_path(params)
    static = lambda leaf: isinstance(leaf, (bool, int, float)) or leaf is None  # noqa: E731
    names = [jax.tree_util.keystr(path) or "params" for path, _ in entries]
    flat = {name: leaf for name, (_, leaf) in zip(names, entries) if not static(leaf)}

    def rebuild(weights: dict) -> Any:
        return treedef.unflatten([leaf if static(leaf) else weights[name] for name, (_, leaf) in zip(names, entries)])

    return flat, rebuild


def export_model(path: str | Path, apply_fn: Callable[[Any, jax.Array], jax.Array], params: Any,
                 example_input: Any, *, name: str, input_name: str = "input", output_name: str = "output",
                 platforms: tuple[str, ...] = ("cpu",)) -> Path:
    """Write the artifact of ``apply_fn(params, x)`` to the folder ``path``.

    Args:
      apply_fn: e.g. ``model.apply``; its output must keep the input's leading (batch) axis.
      params: the weights (any pytree of arrays, e.g. Flax variables).
      example_input: one array whose non-leading dimensions and dtype fix the input; its
        leading dimension becomes the symbolic ``batch``.
      name: the model's name in the manifest (and in a server's URL).
      platforms: lowering targets of ``jax.export`` (``"cpu"``, ``"cuda"``, ``"tpu"``).
    """
    if not name or not str(name).replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"name must be a non-empty identifier (letters, digits, '-', '_'), got {name!r}")
    example = np.asarray(example_input)
    if example.ndim < 1:
        raise ValueError(f"example_input must have a leading batch axis, got shape {example.shape}")
    batch, = jax.export.symbolic_shape("batch")
    flat, rebuild = _flat_weights(params)
    flat_spec = {k: jax.ShapeDtypeStruct(np.shape(a), jnp.asarray(a).dtype) for k, a in flat.items()}
    x_spec = jax.ShapeDtypeStruct((batch, *example.shape[1:]), example.dtype)
    exported = jax.export.export(jax.jit(lambda w, x: apply_fn(rebuild(w), x)), platforms=platforms)(flat_spec, x_spec)
    if len(exported.out_avals) != 1:
        raise ValueError(f"apply_fn must return one array, got {len(exported.out_avals)} outputs")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILES["model"]).write_bytes(bytes(exported.serialize()))
    (folder / FILES["weights"]).write_bytes(serialization.msgpack_serialize(jax.device_get(flat)))
    manifest = {
        "manifest_version": MANIFEST_VERSION, "name": str(name),
        "inputs": [{"name": input_name, **_spec(exported.in_avals[-1])}],
        "outputs": [{"name": output_name, **_spec(exported.out_avals[0])}],
        "platforms": list(exported.platforms),
        **{f"{name}_version": version for name, version in library_versions().items()},
        "sha256": {key: _sha256(folder / file) for key, file in FILES.items()},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder


def library_versions() -> dict[str, str]:
    """``{"jax": …, "jaxml": …}``: the versions an artifact or cached output was made with."""
    import jaxml

    return {"jax": jax.__version__, "jaxml": jaxml.__version__}


class LoadedModel(NamedTuple):
    """``manifest`` (dict), ``params`` and ``exported``; call ``predict(x)``."""

    manifest: dict
    params: Any
    exported: Any

    def predict(self, x: Any) -> jax.Array:
        """The exported function at the stored weights, for a batch ``x`` of any size."""
        spec = self.manifest["inputs"][0]
        x = jnp.asarray(x)
        expected = tuple(spec["shape"][1:])
        if x.ndim != len(spec["shape"]) or tuple(x.shape[1:]) != expected:
            raise ValueError(f"{spec['name']} must have shape (batch, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.exported.call(self.params, x.astype(spec["dtype"]))


def load_model(path: str | Path) -> LoadedModel:
    """Read an artifact written by :func:`export_model`, verifying both hashes first."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{folder} holds no manifest.json (not an exported jaxml model)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("manifest_version") != MANIFEST_VERSION:
        raise ValueError(f"manifest_version {manifest.get('manifest_version')!r} is not {MANIFEST_VERSION}")
    for key, file in FILES.items():
        if _sha256(folder / file) != manifest["sha256"][key]:
            raise ValueError(f"{file} does not match the sha256 in manifest.json: the artifact was altered or "
                             "truncated")
    exported = jax.export.deserialize(bytearray((folder / FILES["model"]).read_bytes()))
    params = serialization.msgpack_restore((folder / FILES["weights"]).read_bytes())
    return LoadedModel(manifest, params, exported)


def export_onnx(path: str | Path, apply_fn: Callable[[Any, jax.Array], jax.Array], params: Any,
                example_input: Any, *, name: str, input_name: str = "input", output_name: str = "output") -> Path:
    """Write ``apply_fn(params, ·)`` as an ONNX model (weights folded in as initialisers)
    with a symbolic ``batch`` axis, by jax2onnx; run it with onnxruntime::

        session = onnxruntime.InferenceSession(str(path))
        y = session.run(None, {"input": x})[0]
    """
    from jax2onnx import to_onnx

    example = np.asarray(example_input)
    if example.ndim < 1:
        raise ValueError(f"example_input must have a leading batch axis, got shape {example.shape}")
    proto = to_onnx(lambda x: apply_fn(params, x), [("batch", *example.shape[1:])], model_name=str(name),
                    input_names=[input_name], output_names=[output_name])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(proto.SerializeToString())
    return path
