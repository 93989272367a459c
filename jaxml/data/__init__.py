"""Datasets made or shipped locally; nothing downloads at run time."""

from jaxml.data.batching import batches, epoch_batches
from jaxml.data.bundled import BUNDLED, load_sklearn
from jaxml.data.fairness_scm import FairnessSCM, fairness_scm_counterfactual, make_fairness_scm
from jaxml.data.mnist1d import Dataset, load_mnist1d, mnist1d_args
from jaxml.data.synthetic import (
    DENSITIES,
    make_blobs,
    make_moons,
    make_regression,
    make_spirals,
    sample_density2d,
)
from jaxml.data.transactions import TransactionStream, make_transaction_stream, transaction_log_odds

__all__ = [
    "batches",
    "epoch_batches",
    "BUNDLED",
    "load_sklearn",
    "FairnessSCM",
    "fairness_scm_counterfactual",
    "make_fairness_scm",
    "Dataset",
    "load_mnist1d",
    "mnist1d_args",
    "DENSITIES",
    "make_blobs",
    "make_moons",
    "make_regression",
    "make_spirals",
    "sample_density2d",
    "TransactionStream",
    "make_transaction_stream",
    "transaction_log_odds",
]
