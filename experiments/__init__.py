"""Runnable experiments; each module writes into ``paper_repro/<name>/`` (see jaxml.experiment)."""
