"""Deployment and MLOps. So far: drift monitoring and A/B testing (:mod:`.monitor`)."""
