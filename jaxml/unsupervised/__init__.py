"""Unsupervised learning: clustering, decomposition, manifold learning, anomaly detection, density."""
