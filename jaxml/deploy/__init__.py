"""Deployment and MLOps: export (:mod:`.export`), cached pipelines (:mod:`.pipeline`), drift
monitoring and A/B testing (:mod:`.monitor`)."""
