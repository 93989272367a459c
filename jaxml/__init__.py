"""jaxml: the machine-learning curriculum as verified, reproducible JAX code."""

__version__ = "0.1.0"
