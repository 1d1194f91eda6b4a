"""The unit tier's rule, enforced: while a unit test runs, no socket connects or binds and no process starts.

An audit hook (installed once; hooks cannot be removed) refuses those operations during a unit test and the
test then fails, even when the code under test swallowed the error: a test that needs a server, a subprocess
or a kernel belongs in ``tests/integration``, not in the one-minute loop. (Wall-clock sleeps leave no audit
event before Python 3.13: review catches those.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.fixtures.unit_rule import UnitRule


@pytest.fixture(autouse=True)
def _unit_rule() -> Iterator[None]:
    if not UnitRule.hooked:
        sys.addaudithook(UnitRule.hook)
        UnitRule.hooked = True
    UnitRule.refused.clear()
    UnitRule.active = True
    try:
        yield
    finally:
        UnitRule.active = False
    assert not UnitRule.refused, f"a unit test tried {UnitRule.refused}: move it to tests/integration"
