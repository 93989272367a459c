"""Trustworthy ML: adversarial robustness, differential privacy, federated learning, explanations, fairness."""
