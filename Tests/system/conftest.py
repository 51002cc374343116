"""Loads the system-test harness (Tests/system/support) as a pytest plugin: fixtures, tally, hooks."""

import hypothesis

pytest_plugins = ["support.fixtures"]

# Bounded and repeatable: every @given test draws the same examples on every run (derandomize), keeps
# no example database in the checkout, and is never cut short by timing on a busy 2-core machine.
# No shrinking: against real processes a failure may kill one, after which every smaller example
# "fails" too and shrinking would report a meaningless minimum; the first failing example is reported.
hypothesis.settings.register_profile(
    "system",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    max_examples=50,
    phases=(hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate),
    report_multiple_bugs=False,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.load_profile("system")
