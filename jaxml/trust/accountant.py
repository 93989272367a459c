"""Privacy accounting for DP-SGD: the Poisson-subsampled Gaussian mechanism.

One DP-SGD step releases ``Σ_{i∈B} clip(g_i) + N(0, σ²C²I)`` where every example enters
the batch B independently with probability q. With add/remove-one adjacency the worst
pair of output distributions is, after scaling by C, the one-dimensional pair

    μ = (1 − q)·N(0, σ²) + q·N(1, σ²)    against    μ₀ = N(0, σ²)

(the *remove* direction (μ, μ₀) and the *add* direction (μ₀, μ)).

**Rényi DP** (Mironov, Talwar & Zhang 2019). For order α > 1 the step is
(α, ε_α)-RDP with ε_α = log A_α / (α − 1), A_α = E_{z∼μ₀}[(μ(z)/μ₀(z))^α]:

* integer α: A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k)/(2σ²));
* fractional α: split the integral at z₀ = σ² log(1/q − 1) + ½ (where the two mixture
  terms are equal) and expand (1 + L)^α binomially on each side, L < 1:
  A_α = Σ_{i≥0} C(α, i) [ q^i (1 − q)^{α−i} e^{(i²−i)/(2σ²)} Φ((z₀ − i)/σ)
                        + q^{α−i} (1 − q)^i e^{(j²−j)/(2σ²)} Φ((j − z₀)/σ) ],  j = α − i,
  summed (with the signs of the generalised binomials) until the terms drop below e^{−30}.

q = 1 gives the Gaussian mechanism, ε_α = α/(2σ²). RDP composes additively over steps.

**RDP → (ε, δ).** Classic (Mironov 2017): ε = min_α ε_α + log(1/δ)/(α − 1). Tight
(Balle et al. 2020, Thm. 21; Canonne, Kamath & Steinke 2020):
ε = min_α ε_α + log((α − 1)/α) − (log δ + log α)/(α − 1).

**Privacy loss distribution** (Koskela et al. 2020; Doroshenko et al. 2022). The privacy
loss of a pair (P, Q) is ℓ(x) = log P(x)/Q(x) under x ∼ P; its hockey-stick divergence is
δ(ε) = E_P[(1 − e^{ε−ℓ})₊] + P(ℓ = ∞), and composition convolves the loss distributions.
Each direction's loss is discretised on the grid ε_k = k·h by *connect-the-dots*: the
atoms are chosen so that the discrete δ equals the exact one at every grid point and is
linear in e^ε between them, which dominates the true pair (no systematic rounding
drift over thousands of compositions). Compositions use FFT convolution by repeated
squaring; tails below ``tail_mass`` (and the ends below FFT round-off) are moved to the next kept atom (lower end) or to
ℓ = ∞ (upper end), both pessimistic. The reported δ(ε) is the larger of the two
directions'.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import numpy as np
from scipy import signal, special

from jaxml.core.validation import check_int, check_option, check_range

# Opacus' and TF Privacy's default RDP orders.
DEFAULT_ORDERS: tuple[float, ...] = tuple(1 + x / 10.0 for x in range(1, 100)) + tuple(range(12, 64))
CONVERSIONS = ("classic", "tight")
DIRECTIONS = ("remove", "add")
METHODS = ("rdp", "rdp_tight", "pld")  # classic RDP, tight RDP, PLD


# ----------------------------------------------------------------------------- checks
def _check_q(q: Any) -> float:
    return float(check_range(q, "q", low=0.0, high=1.0, low_open=True,
                             expected="a sampling rate in (0, 1]"))


def _check_sigma(sigma: Any) -> float:
    return float(check_range(sigma, "sigma", low=0.0, low_open=True, expected="> 0 and finite"))


def _check_delta(delta: Any) -> float:
    return float(check_range(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True,
                             expected="a probability in (0, 1)"))


def _check_orders(orders: Any) -> np.ndarray:
    orders = np.asarray(orders, dtype=float).ravel()
    if orders.size == 0 or not np.all(np.isfinite(orders)) or np.any(orders <= 1):
        raise ValueError(f"orders must be a non-empty sequence of finite numbers > 1, got {orders}")
    return orders


# ----------------------------------------------------------------------------- RDP
def _log_a_integer(alpha: int, q: float, sigma: float) -> float:
    k = np.arange(alpha + 1, dtype=float)
    log_binom = special.gammaln(alpha + 1) - special.gammaln(k + 1) - special.gammaln(alpha - k + 1)
    log_terms = log_binom + k * math.log(q) + (alpha - k) * math.log1p(-q) + (k * k - k) / (2 * sigma ** 2)
    return float(special.logsumexp(log_terms))


def _log_a_fractional(alpha: float, q: float, sigma: float, chunk: int = 64) -> float:
    z0 = sigma ** 2 * math.log(1 / q - 1) + 0.5
    logs, signs = [], []
    start = 0
    while True:
        i = np.arange(start, start + chunk, dtype=float)
        j = alpha - i
        binom = special.binom(alpha, i)
        nonzero = binom != 0
        log_c = np.log(np.abs(np.where(nonzero, binom, 1.0)))
        low = (log_c + i * math.log(q) + j * math.log1p(-q) + (i * i - i) / (2 * sigma ** 2)
               + special.log_ndtr((z0 - i) / sigma))
        high = (log_c + j * math.log(q) + i * math.log1p(-q) + (j * j - j) / (2 * sigma ** 2)
                + special.log_ndtr((j - z0) / sigma))
        sign = np.sign(binom)
        for part in (low, high):
            logs.append(np.where(nonzero, part, -np.inf))
            signs.append(sign)
        if np.max(np.maximum(low, high)[nonzero], initial=-np.inf) < -30 and start > alpha:
            break
        start += chunk
    value, sign = special.logsumexp(np.concatenate(logs), b=np.concatenate(signs), return_sign=True)
    if sign <= 0:
        raise ArithmeticError(f"the fractional-order series lost precision at alpha={alpha}, q={q}, sigma={sigma}")
    return float(value)


def rdp_subsampled_gaussian(q: Any, sigma: Any, orders: Any = DEFAULT_ORDERS) -> np.ndarray:
    """ε_α of one step of the Poisson-subsampled Gaussian mechanism at every order α
    (module docstring); ``(len(orders),)`` float64."""
    q, sigma, orders = _check_q(q), _check_sigma(sigma), _check_orders(orders)
    if q == 1.0:
        return orders / (2 * sigma ** 2)
    out = np.empty_like(orders)
    for n, alpha in enumerate(orders):
        log_a = (_log_a_integer(int(alpha), q, sigma) if float(alpha).is_integer()
                 else _log_a_fractional(float(alpha), q, sigma))
        out[n] = log_a / (alpha - 1)
    return out


def rdp_to_epsilon(rdp: Any, orders: Any, delta: Any, *, conversion: str = "tight") -> tuple[float, float]:
    """(ε, best α) for a composed RDP curve ``rdp`` at ``orders`` (module docstring)."""
    orders, delta = _check_orders(orders), _check_delta(delta)
    check_option(conversion, "conversion", CONVERSIONS)
    rdp = np.asarray(rdp, dtype=float)
    if rdp.shape != orders.shape:
        raise ValueError(f"rdp must have one value per order ({orders.shape}), got shape {rdp.shape}")
    if conversion == "classic":
        eps = rdp + math.log(1 / delta) / (orders - 1)
    else:
        eps = rdp + np.log1p(-1 / orders) - (math.log(delta) + np.log(orders)) / (orders - 1)
    eps = np.where(np.isnan(eps), np.inf, eps)
    best = int(np.argmin(eps))
    return max(0.0, float(eps[best])), float(orders[best])


def rdp_to_delta(rdp: Any, orders: Any, epsilon: Any, *, conversion: str = "tight") -> float:
    """The smallest δ with (ε, δ)-DP implied by the RDP curve: the inverse of
    :func:`rdp_to_epsilon` (classic: log δ = (α − 1)(ε_α − ε); tight:
    log δ = (α − 1)(ε_α − ε + log(1 − 1/α)) − log α), capped at 1."""
    orders = _check_orders(orders)
    epsilon = float(check_range(epsilon, "epsilon", low=0.0))
    check_option(conversion, "conversion", CONVERSIONS)
    rdp = np.asarray(rdp, dtype=float)
    log_delta = (orders - 1) * (rdp - epsilon)
    if conversion == "tight":
        log_delta = (orders - 1) * (rdp - epsilon + np.log1p(-1 / orders)) - np.log(orders)
    return float(min(1.0, np.exp(np.min(log_delta))))


def epochs_to_steps(n: int, batch_size: int, epochs: float) -> tuple[float, int]:
    """(q, steps) of DP-SGD with expected batch ``batch_size`` over ``n`` examples:
    q = B/N and steps = ⌈epochs · N/B⌉ (TF Privacy's and Opacus' convention)."""
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= n ({n}), got {batch_size}")
    check_range(epochs, "epochs", low=0.0)
    return batch_size / n, int(math.ceil(epochs * n / batch_size))


# ----------------------------------------------------------------------------- PLD
class PLD(NamedTuple):
    """A discrete privacy-loss distribution: mass ``probs[k]`` at loss
    (``offset`` + k)·``interval`` and ``inf_mass`` at ℓ = ∞."""

    offset: int
    probs: np.ndarray
    inf_mass: float
    interval: float


def _hockey_stick(eps: np.ndarray, q: float, sigma: float, direction: str) -> np.ndarray:
    """Exact δ(ε) of one subsampled-Gaussian step in the given direction."""
    eps = np.asarray(eps, dtype=float)
    s2 = sigma ** 2
    if direction == "remove":  # ℓ(x) = log(1 − q + q e^{(2x−1)/(2σ²)}), increasing in x
        with np.errstate(divide="ignore", invalid="ignore"):
            x = s2 * np.log((np.expm1(eps) + q) / q) + 0.5
            d = q * special.ndtr((1 - x) / sigma) - (np.expm1(eps) + q) * special.ndtr(-x / sigma)
        below = np.expm1(eps) + q <= 0  # ε ≤ log(1 − q): every outcome has ℓ > ε
        return np.where(below, -np.expm1(eps), d)
    # add: ℓ(x) = −log(1 − q + q e^{(2x−1)/(2σ²)}), decreasing, at most −log(1 − q)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = s2 * np.log((np.expm1(-eps) + q) / q) + 0.5
        d = special.ndtr(x / sigma) - np.exp(eps) * ((1 - q) * special.ndtr(x / sigma)
                                                     + q * special.ndtr((x - 1) / sigma))
    return np.where(np.expm1(-eps) + q <= 0, 0.0, d)


def _loss(x: np.ndarray, q: float, sigma: float, direction: str) -> np.ndarray:
    with np.errstate(divide="ignore"):
        ell = np.log1p(q * np.expm1((2 * x - 1) / (2 * sigma ** 2)))
    return ell if direction == "remove" else -ell


def pld_subsampled_gaussian(q: Any, sigma: Any, *, direction: str = "remove", interval: float = 1e-4,
                            tail_mass: float = 1e-15) -> PLD:
    """Connect-the-dots PLD of one step (module docstring) on the grid k·``interval``.

    The grid spans the losses of x ∈ [σΦ⁻¹(τ), 1 + σΦ⁻¹(1 − τ)] (τ = ``tail_mass``/2);
    with y_k = e^{ε_k} and δ_k the exact δ(ε_k) the atoms are
    T_k = (δ_k − δ_{k+1})/(y_{k+1} − y_k) (Q-mass above ε_k), p_{k+1} = y_{k+1}(T_k − T_{k+1}),
    inf mass δ_n, and p_0 = 1 − Σ_{k≥1} p_k − δ_n."""
    q, sigma = _check_q(q), _check_sigma(sigma)
    check_option(direction, "direction", DIRECTIONS)
    interval = float(check_range(interval, "interval", low=0.0, low_open=True))
    tail_mass = float(check_range(tail_mass, "tail_mass", low=0.0, high=1e-3, low_open=True))
    tau = tail_mass / 2
    ends = _loss(np.array([sigma * special.ndtri(tau), 1 + sigma * special.ndtri(1 - tau)]), q, sigma, direction)
    lo, hi = int(math.floor(ends.min() / interval)), int(math.ceil(ends.max() / interval))
    hi = max(hi, lo + 1)
    eps = np.arange(lo, hi + 1) * interval
    delta = _hockey_stick(eps, q, sigma, direction)
    y = np.exp(eps)
    above = np.append(np.maximum(-np.diff(delta) / np.diff(y), 0.0), 0.0)  # T_k, T_n = 0
    probs = np.empty_like(eps)
    probs[1:] = y[1:] * np.maximum(above[:-1] - above[1:], 0.0)
    inf_mass = float(max(delta[-1], 0.0))
    probs[0] = max(0.0, 1.0 - probs[1:].sum() - inf_mass)
    return PLD(lo, probs, inf_mass, interval)


def _truncate(pld: PLD, tail_mass: float) -> PLD:
    """Drop up to ``tail_mass``/2 from each end, and the ends below the FFT round-off
    floor (10⁻¹³ of the largest atom): the lower part onto the first kept atom, the
    upper part to ℓ = ∞ (both pessimistic)."""
    p = np.maximum(pld.probs, 0.0)
    significant = np.flatnonzero(p > 1e-13 * p.max())
    left = max(int(np.searchsorted(np.cumsum(p), tail_mass / 2, side="right")), int(significant[0]))
    right = min(len(p) - int(np.searchsorted(np.cumsum(p[::-1]), tail_mass / 2, side="right")),
                int(significant[-1]) + 1)
    left, right = min(left, right - 1), max(right, left + 1)
    kept = p[left:right].copy()
    kept[0] += p[:left].sum()
    return PLD(pld.offset + left, kept, float(pld.inf_mass + p[right:].sum()), pld.interval)


def _convolve(a: PLD, b: PLD, tail_mass: float) -> PLD:
    probs = signal.fftconvolve(a.probs, b.probs)
    inf_mass = 1.0 - (1.0 - a.inf_mass) * (1.0 - b.inf_mass)
    return _truncate(PLD(a.offset + b.offset, probs, inf_mass, a.interval), tail_mass)


def compose(pld: PLD, steps: int, *, tail_mass: float = 1e-15) -> PLD:
    """``steps``-fold self-composition by repeated squaring (⌈log₂ steps⌉ squarings)."""
    steps = check_int(steps, "steps", minimum=1)
    result, power = None, pld
    while True:
        if steps & 1:
            result = power if result is None else _convolve(result, power, tail_mass)
        steps >>= 1
        if not steps:
            return result
        power = _convolve(power, power, tail_mass)


def pld_delta(pld: PLD, epsilon: Any) -> float:
    """δ(ε) = Σ_{ℓ_k > ε} p_k (1 − e^{ε−ℓ_k}) + inf mass."""
    epsilon = float(check_range(epsilon, "epsilon"))
    losses = (pld.offset + np.arange(len(pld.probs))) * pld.interval
    above = losses > epsilon
    return float(np.sum(pld.probs[above] * -np.expm1(epsilon - losses[above])) + pld.inf_mass)


def pld_epsilon(pld: PLD, delta: Any) -> float:
    """The smallest ε ≥ 0 with δ(ε) ≤ ``delta`` (δ(ε) is decreasing: bisection to 1e-9);
    ``inf`` when even ε → ∞ leaves more than δ (the mass at ℓ = ∞)."""
    delta = _check_delta(delta)
    if pld.inf_mass > delta:
        return math.inf
    if pld_delta(pld, 0.0) <= delta:
        return 0.0
    lo, hi = 0.0, (pld.offset + len(pld.probs)) * pld.interval
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if pld_delta(pld, mid) > delta else (lo, mid)
    return hi


# ----------------------------------------------------------------------------- accountants
@dataclasses.dataclass(frozen=True)
class Accountant:
    """The privacy ledger of a run: a history of ``(q, sigma, steps)`` entries.

    ``accountant.step(q, sigma, steps)`` returns a new ledger (the object is immutable);
    ``epsilon(delta, method=...)`` with ``method`` one of ``"rdp"`` (classic conversion),
    ``"rdp_tight"`` or ``"pld"``; ``to_dict``/``from_dict`` save and restore it as JSON-ready
    data."""

    history: tuple[tuple[float, float, int], ...] = ()
    orders: tuple[float, ...] = DEFAULT_ORDERS
    pld_interval: float = 1e-4

    def step(self, q: Any, sigma: Any, steps: int = 1) -> "Accountant":
        entry = (_check_q(q), _check_sigma(sigma), check_int(steps, "steps", minimum=0))
        return dataclasses.replace(self, history=self.history + (entry,))

    def rdp(self) -> np.ndarray:
        """The composed ε_α at ``orders``: Σ over entries of steps · ε_α(q, σ)."""
        total = np.zeros(len(self.orders))
        for q, sigma, steps in self.history:
            if steps:
                total += steps * rdp_subsampled_gaussian(q, sigma, self.orders)
        return total

    def _pld(self, direction: str) -> PLD | None:
        out = None
        for q, sigma, steps in self.history:
            if steps:
                part = compose(pld_subsampled_gaussian(q, sigma, direction=direction,
                                                       interval=self.pld_interval), steps)
                out = part if out is None else _convolve(out, part, 1e-15)
        return out

    def epsilon(self, delta: Any, *, method: str = "rdp_tight") -> float:
        check_option(method, "method", METHODS)
        delta = _check_delta(delta)
        if not any(steps for _, _, steps in self.history):
            return 0.0
        if method == "pld":
            return max(pld_epsilon(self._pld(d), delta) for d in DIRECTIONS)
        conversion = "classic" if method == "rdp" else "tight"
        return rdp_to_epsilon(self.rdp(), self.orders, delta, conversion=conversion)[0]

    def delta(self, epsilon: Any, *, method: str = "rdp_tight") -> float:
        check_option(method, "method", METHODS)
        if not any(steps for _, _, steps in self.history):
            return 0.0
        if method == "pld":
            return max(pld_delta(self._pld(d), epsilon) for d in DIRECTIONS)
        conversion = "classic" if method == "rdp" else "tight"
        return rdp_to_delta(self.rdp(), self.orders, epsilon, conversion=conversion)

    def to_dict(self) -> dict:
        return {"history": [list(h) for h in self.history], "orders": list(self.orders),
                "pld_interval": self.pld_interval}

    @classmethod
    def from_dict(cls, data: dict) -> "Accountant":
        acc = cls(orders=tuple(float(o) for o in data["orders"]), pld_interval=float(data["pld_interval"]))
        for q, sigma, steps in data["history"]:
            acc = acc.step(q, sigma, int(steps))
        return acc



def calibrate_sigma(target_epsilon: Any, q: Any, steps: int, delta: Any, *, method: str = "rdp_tight",
                    sigma_range: tuple[float, float] = (0.3, 100.0), tol: float = 1e-3) -> float:
    """The smallest σ (within ``tol``) whose ε after ``steps`` steps at rate ``q`` is at
    most ``target_epsilon``: bisection on σ ↦ ε(σ), which decreases in σ."""
    target = float(check_range(target_epsilon, "target_epsilon", low=0.0, low_open=True))
    q, delta, steps = _check_q(q), _check_delta(delta), check_int(steps, "steps", minimum=1)
    check_option(method, "method", METHODS)
    lo, hi = (float(s) for s in sigma_range)
    if not 0 < lo < hi:
        raise ValueError(f"sigma_range must be (low, high) with 0 < low < high, got {sigma_range}")
    eps = lambda s: Accountant().step(q, s, steps).epsilon(delta, method=method)  # noqa: E731
    if eps(hi) > target:
        raise ValueError(f"target_epsilon={target} is unreachable: even sigma={hi} gives "
                         f"epsilon={eps(hi):.4g} (widen sigma_range or relax the target)")
    if eps(lo) <= target:
        return lo
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if eps(mid) <= target else (mid, hi)
    return hi
