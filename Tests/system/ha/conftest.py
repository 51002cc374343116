"""Fixtures of the high-availability suite: Sentinel sets of the test's own."""

from __future__ import annotations

import pytest

from support.sentinel import SentinelSet


@pytest.fixture
def sentinel_set():
    with SentinelSet() as ha:
        yield ha


@pytest.fixture
def two_replica_set():
    with SentinelSet(backup_replica=True) as ha:
        yield ha
