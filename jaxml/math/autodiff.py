r"""Automatic differentiation from scratch: forward mode (dual numbers), reverse mode (tape).

**Forward mode.** A :class:`Dual` number carries a primal value and a tangent,
:math:`x + \dot x ε` with :math:`ε^2 = 0`; every primitive maps
:math:`f(x + \dot x ε) = f(x) + f'(x)\dot x\, ε`, so one pass through the program
computes the Jacobian-vector product :math:`J_f(x)\dot x` (:func:`jvp`). Cost: one
extra tangent per value, no memory of the past.

**Reverse mode.** A :class:`Var` records every primitive applied to it on a
:class:`Tape` (a Wengert list) with the local vector-Jacobian product of each input.
:func:`grad` then walks the tape backwards accumulating adjoints
:math:`\bar v_i = \sum_{j: i→j} \bar v_j\, ∂v_j/∂v_i` from :math:`\bar y = 1`, giving the
whole gradient of a scalar in one backward pass (cost independent of the input size).

**Higher order.** The backward rules are written with the same generic primitives, so
running reverse mode on dual numbers gives forward-over-reverse
:math:`\frac{d}{dε} ∇f(x + εv) = ∇^2 f(x) v`, the Hessian-vector product (:func:`hvp`,
Pearlmutter 1994) at the cost of a few gradients.

Primitives: ``+ - * / @``, unary minus, :func:`exp`, :func:`log`, :func:`sin`,
:func:`cos`, :func:`tanh`, :func:`matmul`, :func:`reduce_sum` (and the shape helpers
:func:`broadcast_to`, :func:`reshape`, :func:`transpose` that their rules need). Each
dispatches on its arguments: tape variables first (outermost), then dual numbers, then
plain ``jnp`` — so a function written with them runs unchanged on arrays (and under
``jax.jvp``/``jax.grad``, which is how the tests check it). This is a teaching engine:
eager Python over ``jnp`` arrays, not meant to be jitted.

References: Griewank & Walther, *Evaluating Derivatives* (2008); Baydin et al.,
"Automatic differentiation in machine learning: a survey", JMLR 2018.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxml.math import autodiff as ad
    >>> f = lambda x: ad.reduce_sum(ad.sin(x) * x)
    >>> x = jnp.array([0.5, 1.0])
    >>> bool(jnp.allclose(ad.grad(f)(x), jnp.cos(x) * x + jnp.sin(x)))
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

__all__ = [
    "Dual",
    "Tape",
    "Var",
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "matmul",
    "reduce_sum",
    "broadcast_to",
    "reshape",
    "transpose",
    "jvp",
    "grad",
    "value_and_grad",
    "hvp",
]


def _shape(x) -> tuple[int, ...]:
    if isinstance(x, Var):
        return _shape(x.value)
    if isinstance(x, Dual):
        return tuple(x.primal.shape)
    return tuple(jnp.shape(x))


# --------------------------------------------------------------------------- forward


class Dual:
    """A dual number ``primal + tangent·ε`` (``ε² = 0``) over ``jnp`` arrays.

    Both parts have the same shape. Operators with plain numbers/arrays treat them as
    constants (zero tangent).
    """

    __slots__ = ("primal", "tangent")
    __array_priority__ = 1000

    def __init__(self, primal: Any, tangent: Any):
        primal = jnp.asarray(primal)
        tangent = jnp.asarray(tangent, dtype=primal.dtype)
        if primal.shape != tangent.shape:
            raise ValueError(
                f"tangent must have the primal's shape {primal.shape}, got {tangent.shape}")
        self.primal = primal
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    @property
    def shape(self):
        return self.primal.shape

    @property
    def ndim(self):
        return self.primal.ndim

    @property
    def T(self):  # noqa: N802
        return transpose(self)

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __neg__(self):
        return neg(self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)


def _lift(x) -> Dual:
    if isinstance(x, Dual):
        return x
    x = jnp.asarray(x)
    return Dual(x, jnp.zeros_like(x))


def _dual_rule(name: str, *args, **kwargs) -> Dual:
    """The forward-mode (JVP) rule of each primitive."""
    d = [_lift(a) for a in args]
    p = [a.primal for a in d]
    t = [a.tangent for a in d]
    if name == "add":
        return Dual(p[0] + p[1], jnp.broadcast_to(t[0] + t[1], jnp.broadcast_shapes(
            p[0].shape, p[1].shape)))
    if name == "sub":
        return Dual(p[0] - p[1], jnp.broadcast_to(t[0] - t[1], jnp.broadcast_shapes(
            p[0].shape, p[1].shape)))
    if name == "mul":
        return Dual(p[0] * p[1], t[0] * p[1] + p[0] * t[1])
    if name == "div":
        out = p[0] / p[1]
        return Dual(out, (t[0] - out * t[1]) / p[1])
    if name == "neg":
        return Dual(-p[0], -t[0])
    if name == "exp":
        out = jnp.exp(p[0])
        return Dual(out, out * t[0])
    if name == "log":
        return Dual(jnp.log(p[0]), t[0] / p[0])
    if name == "sin":
        return Dual(jnp.sin(p[0]), jnp.cos(p[0]) * t[0])
    if name == "cos":
        return Dual(jnp.cos(p[0]), -jnp.sin(p[0]) * t[0])
    if name == "tanh":
        out = jnp.tanh(p[0])
        return Dual(out, (1.0 - out * out) * t[0])
    if name == "matmul":
        return Dual(p[0] @ p[1], t[0] @ p[1] + p[0] @ t[1])
    if name == "reduce_sum":
        return Dual(jnp.sum(p[0], **kwargs), jnp.sum(t[0], **kwargs))
    if name == "broadcast_to":
        return Dual(jnp.broadcast_to(p[0], **kwargs), jnp.broadcast_to(t[0], **kwargs))
    if name == "reshape":
        return Dual(jnp.reshape(p[0], **kwargs), jnp.reshape(t[0], **kwargs))
    if name == "transpose":
        return Dual(jnp.transpose(p[0]), jnp.transpose(t[0]))
    raise ValueError(f"unknown primitive {name!r}")


# --------------------------------------------------------------------------- reverse


class Tape:
    """A Wengert list: for each recorded value, its ``(parent_index, vjp)`` pairs."""

    def __init__(self):
        self.nodes: list[list[tuple[int, Callable]]] = []

    def new_var(self, value, parents: list[tuple[int, Callable]]) -> Var:
        self.nodes.append(parents)
        return Var(value, self, len(self.nodes) - 1)


class Var:
    """A value recorded on a :class:`Tape`; operators record new nodes."""

    __slots__ = ("value", "tape", "index")
    __array_priority__ = 1001

    def __init__(self, value, tape: Tape, index: int):
        self.value = value
        self.tape = tape
        self.index = index

    def __repr__(self) -> str:
        return f"Var(index={self.index}, value={self.value!r})"

    @property
    def shape(self):
        return _shape(self)

    @property
    def ndim(self):
        return len(_shape(self))

    @property
    def T(self):  # noqa: N802
        return transpose(self)

    __add__ = Dual.__add__
    __radd__ = Dual.__radd__
    __sub__ = Dual.__sub__
    __rsub__ = Dual.__rsub__
    __mul__ = Dual.__mul__
    __rmul__ = Dual.__rmul__
    __truediv__ = Dual.__truediv__
    __rtruediv__ = Dual.__rtruediv__
    __neg__ = Dual.__neg__
    __matmul__ = Dual.__matmul__
    __rmatmul__ = Dual.__rmatmul__


def _unbroadcast(ct, shape: tuple[int, ...]):
    """Sum a cotangent over the axes that broadcasting added or stretched."""
    ct_shape = _shape(ct)
    if ct_shape == tuple(shape):
        return ct
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and ct_shape[lead + i] != 1)
    return reshape(reduce_sum(ct, axis=axes), shape=tuple(shape))


def _outer(u, v):
    return reshape(u, shape=(_shape(u)[0], 1)) * reshape(v, shape=(1, _shape(v)[0]))


def _matmul_vjps(a, b):
    ra, rb = len(_shape(a)), len(_shape(b))
    if ra == 2 and rb == 2:
        return (lambda g: g @ transpose(b)), (lambda g: transpose(a) @ g)
    if ra == 2 and rb == 1:
        return (lambda g: _outer(g, b)), (lambda g: transpose(a) @ g)
    if ra == 1 and rb == 2:
        return (lambda g: b @ g), (lambda g: _outer(a, g))
    return (lambda g: g * b), (lambda g: g * a)


def _tape_rule(name: str, *args, **kwargs) -> Var:
    """Compute the primitive on the values and record the VJP of each ``Var`` input."""
    tape = next(a.tape for a in args if isinstance(a, Var))
    vals = [a.value if isinstance(a, Var) else a for a in args]
    out = _apply(name, *vals, **kwargs)
    shapes = [_shape(v) for v in vals]
    if name in ("add", "sub", "mul", "div"):
        a, b = vals
        if name == "add":
            vjps = (lambda g: g, lambda g: g)
        elif name == "sub":
            vjps = (lambda g: g, lambda g: -g)
        elif name == "mul":
            vjps = (lambda g: g * b, lambda g: g * a)
        else:
            vjps = (lambda g: g / b, lambda g: -(g * out) / b)
        vjps = tuple((lambda g, f=f, s=s: _unbroadcast(f(g), s)) for f, s in zip(vjps, shapes))
    elif name == "neg":
        vjps = (lambda g: -g,)
    elif name == "exp":
        vjps = (lambda g: g * out,)
    elif name == "log":
        vjps = (lambda g: g / vals[0],)
    elif name == "sin":
        vjps = (lambda g: g * cos(vals[0]),)
    elif name == "cos":
        vjps = (lambda g: -(g * sin(vals[0])),)
    elif name == "tanh":
        vjps = (lambda g: g * (1.0 - out * out),)
    elif name == "matmul":
        vjps = _matmul_vjps(*vals)
    elif name == "reduce_sum":
        axis = kwargs.get("axis")
        in_shape = shapes[0]
        axes = tuple(range(len(in_shape))) if axis is None else tuple(
            int(a) % max(len(in_shape), 1) for a in np.atleast_1d(axis))
        kept = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
        vjps = (lambda g: broadcast_to(reshape(g, shape=kept), shape=in_shape),)
    elif name == "broadcast_to":
        vjps = (lambda g: _unbroadcast(g, shapes[0]),)
    elif name == "reshape":
        vjps = (lambda g: reshape(g, shape=shapes[0]),)
    elif name == "transpose":
        vjps = (lambda g: transpose(g),)
    else:
        raise ValueError(f"unknown primitive {name!r}")
    parents = [(a.index, f) for a, f in zip(args, vjps) if isinstance(a, Var)]
    return tape.new_var(out, parents)


_JNP = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": jnp.divide,
    "neg": jnp.negative, "exp": jnp.exp, "log": jnp.log, "sin": jnp.sin, "cos": jnp.cos,
    "tanh": jnp.tanh, "matmul": jnp.matmul, "reduce_sum": jnp.sum,
    "broadcast_to": jnp.broadcast_to, "reshape": jnp.reshape, "transpose": jnp.transpose,
}


def _apply(name: str, *args, **kwargs):
    """Dispatch: tape variables (outermost), then dual numbers, then plain ``jnp``."""
    if any(isinstance(a, Var) for a in args):
        return _tape_rule(name, *args, **kwargs)
    if any(isinstance(a, Dual) for a in args):
        return _dual_rule(name, *args, **kwargs)
    return _JNP[name](*args, **kwargs)


def add(a, b):
    """:math:`a + b` (with broadcasting)."""
    return _apply("add", a, b)


def sub(a, b):
    """:math:`a - b`."""
    return _apply("sub", a, b)


def mul(a, b):
    """:math:`a b` elementwise."""
    return _apply("mul", a, b)


def div(a, b):
    """:math:`a / b` elementwise."""
    return _apply("div", a, b)


def neg(a):
    """:math:`-a`."""
    return _apply("neg", a)


def exp(x):
    """:math:`e^x`; derivative :math:`e^x`."""
    return _apply("exp", x)


def log(x):
    """:math:`\\log x`; derivative :math:`1/x`."""
    return _apply("log", x)


def sin(x):
    """:math:`\\sin x`; derivative :math:`\\cos x`."""
    return _apply("sin", x)


def cos(x):
    """:math:`\\cos x`; derivative :math:`-\\sin x`."""
    return _apply("cos", x)


def tanh(x):
    """:math:`\\tanh x`; derivative :math:`1 - \\tanh^2 x`."""
    return _apply("tanh", x)


def matmul(a, b):
    """Matrix/vector product of rank-1 or rank-2 operands."""
    for name, v in (("a", a), ("b", b)):
        if len(_shape(v)) not in (1, 2):
            raise ValueError(f"matmul operand {name} must have rank 1 or 2, got {_shape(v)}")
    return _apply("matmul", a, b)


def reduce_sum(x, axis: int | tuple[int, ...] | None = None):
    """Sum over ``axis`` (all axes by default)."""
    return _apply("reduce_sum", x, axis=axis)


def broadcast_to(x, shape: tuple[int, ...]):
    """Broadcast to ``shape`` (its VJP sums back)."""
    return _apply("broadcast_to", x, shape=tuple(shape))


def reshape(x, shape: tuple[int, ...]):
    """Reshape to ``shape``."""
    return _apply("reshape", x, shape=tuple(shape))


def transpose(x):
    """Reverse the axes."""
    return _apply("transpose", x)


# --------------------------------------------------------------------------- drivers


def _as_input(x, name: str):
    if isinstance(x, Dual):
        return x
    try:
        arr = jnp.asarray(x)
    except TypeError as err:
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from err
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        raise TypeError(f"{name} must be a float array, got dtype {arr.dtype}")
    return arr


def jvp(f: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """Forward mode: ``(f(*primals), J_f(primals) · tangents)`` with dual numbers.

    Raises:
      ValueError: if the tuples differ in length or a tangent's shape differs from its
        primal's.
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TypeError("primals and tangents must be tuples")
    if len(primals) != len(tangents):
        raise ValueError(f"primals and tangents must have the same length, got "
                         f"{len(primals)} and {len(tangents)}")
    duals = [Dual(_as_input(p, "primals"), _as_input(t, "tangents"))
             for p, t in zip(primals, tangents)]
    out = _lift(f(*duals))
    return out.primal, out.tangent


def value_and_grad(f: Callable) -> Callable:
    """Reverse mode: ``x -> (f(x), ∇f(x))`` for scalar ``f`` of one array argument.

    ``x`` may itself be a :class:`Dual` (that is how :func:`hvp` nests the modes).
    """
    def wrapped(x):
        x = _as_input(x, "x")
        tape = Tape()
        x_var = tape.new_var(x, [])
        out = f(x_var)
        if not isinstance(out, Var):  # f does not depend on x
            return out, jnp.zeros(_shape(x))
        if _shape(out) != ():
            raise ValueError(f"f must return a scalar for grad, got shape {_shape(out)}")
        adjoints: dict[int, Any] = {out.index: jnp.ones((), dtype=jnp.result_type(float))}
        for index in range(out.index, -1, -1):
            if index not in adjoints:
                continue
            ct = adjoints[index]
            for parent, vjp in tape.nodes[index]:
                contribution = vjp(ct)
                adjoints[parent] = contribution if parent not in adjoints \
                    else adjoints[parent] + contribution
        g = adjoints.get(x_var.index, jnp.zeros(_shape(x)))
        return out.value, g

    return wrapped


def grad(f: Callable) -> Callable:
    """Reverse mode: ``x -> ∇f(x)`` for scalar ``f`` (one backward pass over the tape)."""
    vg = value_and_grad(f)
    return lambda x: vg(x)[1]


def hvp(f: Callable, x, v):
    """Hessian-vector product :math:`∇^2 f(x) v` by forward-over-reverse.

    Reverse mode runs on the dual number :math:`x + vε`; the tangent of the resulting
    gradient is :math:`\\frac{d}{dε}∇f(x + εv) = ∇^2 f(x)v`.
    """
    x = _as_input(x, "x")
    v = _as_input(v, "v")
    if isinstance(x, Dual) or isinstance(v, Dual):
        raise TypeError("x and v must be arrays")
    if x.shape != v.shape:
        raise ValueError(f"v must have the shape of x {x.shape}, got {v.shape}")
    return _lift(grad(f)(Dual(x, v))).tangent
