"""The one packaging detail pyproject.toml cannot express statically.

The repository keeps its experiments in the top-level ``experiments/`` folder (so that
``python -m experiments.NAME`` works from a checkout), but they install as the
``jaxml.experiments`` subpackage rather than as a generic top-level package named
``experiments`` that would shadow, or be shadowed by, any other project's.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["jaxml", "jaxml.*"]) + ["jaxml.experiments"],
    package_dir={"jaxml.experiments": "experiments"},
)
