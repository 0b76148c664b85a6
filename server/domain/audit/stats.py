"""The statistics behind the audit report and the comparison of two runs, from scipy.

A violation rate comes with its 95% Wilson score interval (no continuity correction), which stays
inside [0, 1] and keeps a sensible width for small counts and for rates near 0 or 1, where the
textbook "rate ± 1.96·SE" interval collapses. Two rates are compared on their 2×2 table
(violates / other judged, before / after): with every expected count at least 5, by the chi-square
test with Yates' continuity correction (the continuity-corrected two-proportion z-test); with
smaller counts, by Fisher's exact test. Both two-sided; a change is beyond noise when p < 0.05.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "CONFIDENCE",
    "SIGNIFICANCE_LEVEL",
    "ProportionTest",
    "TestName",
    "compare_proportions",
    "wilson_interval",
]

CONFIDENCE = 0.95
SIGNIFICANCE_LEVEL = 0.05
MIN_EXPECTED_COUNT = 5.0  # Cochran's rule: below it the chi-square approximation is poor

TestName = Literal["chi-square with Yates' continuity correction", "Fisher's exact test"]


class ProportionTest(BaseModel):
    test: TestName = Field(description="The two-sided test used on the 2x2 table")
    p_value: float
    significant: bool = Field(description=f"p < {SIGNIFICANCE_LEVEL}: the change is beyond noise")


def wilson_interval(successes: int, trials: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of ``successes / trials``; None when ``trials`` is 0."""
    from scipy.stats import binomtest

    if trials == 0:
        return None
    interval = binomtest(successes, trials).proportion_ci(CONFIDENCE, method="wilson")
    return float(interval.low), float(interval.high)


def compare_proportions(before: tuple[int, int], after: tuple[int, int]) -> ProportionTest | None:
    """Whether ``after`` = (successes, trials) differs from ``before`` beyond noise; None when
    either run has no trials."""
    from scipy.stats import chi2_contingency, fisher_exact

    if before[1] == 0 or after[1] == 0:
        return None
    table = [[k, n - k] for k, n in (before, after)]
    name: TestName
    if _smallest_expected(table) >= MIN_EXPECTED_COUNT:
        name, p_value = (
            "chi-square with Yates' continuity correction",
            chi2_contingency(table, correction=True).pvalue,
        )
    else:
        name, p_value = "Fisher's exact test", fisher_exact(table).pvalue
    p = float(p_value)
    return ProportionTest(test=name, p_value=p, significant=p < SIGNIFICANCE_LEVEL)


def _smallest_expected(table: list[list[int]]) -> float:
    total = sum(map(sum, table))
    rows = [sum(row) for row in table]
    columns = [sum(column) for column in zip(*table, strict=True)]
    return float(min(r * c / total for r in rows for c in columns))
