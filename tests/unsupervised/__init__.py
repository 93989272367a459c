"""Tests for jaxml.unsupervised."""
