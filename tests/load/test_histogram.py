"""The exact histogram: percentiles within 1% of the true nearest-rank value, merged across processes."""

from __future__ import annotations

import json
import random

import pytest

from opsverify.load.histogram import Histogram, nearest_rank, rank
from opsverify.load.samples import Samples

PERCENTS = (50, 90, 95, 99, 99.9, 100)


@pytest.mark.parametrize("name, draw", [
    ("uniform 1-2000 ms", lambda r: r.uniform(1, 2000)),
    ("lognormal around 120 ms", lambda r: r.lognormvariate(4.8, 0.6)),
    ("sub-millisecond", lambda r: r.uniform(0.05, 0.9)),
    ("near Locust's 1 s rounding edge", lambda r: r.uniform(940, 1060)),
    ("long tail to a minute", lambda r: r.paretovariate(1.2) * 50),
])
def test_percentiles_are_within_one_percent_of_the_true_values(name: str, draw) -> None:
    rng = random.Random(name)
    values = [draw(rng) for _ in range(20_000)]
    histogram = Histogram.of(values)
    ranked = sorted(values)
    for percent in PERCENTS:
        true = nearest_rank(ranked, percent)
        assert abs(histogram.percentile(percent) - true) / true < 0.01, (name, percent)
    assert histogram.total == len(values) and histogram.max_ms == ranked[-1] and histogram.min_ms == ranked[0]
    assert histogram.mean_ms == pytest.approx(sum(values) / len(values))


def test_locust_would_round_a_true_960_ms_p99_to_1000_but_the_histogram_does_not() -> None:
    values = [100.0] * 98 + [960.0, 960.0]
    assert Histogram.of(values).percentile(99) == pytest.approx(960, rel=0.005)


def test_nearest_rank_is_the_ceiling_rank() -> None:
    assert [rank(20, p) for p in (50, 95, 99, 100)] == [10, 19, 20, 20]
    assert rank(1, 95) == 1 and rank(100, 95) == 95
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2.0


def test_merged_histograms_equal_one_histogram_of_all_samples() -> None:
    rng = random.Random(7)
    parts = [[rng.expovariate(1 / 80) for _ in range(3000)] for _ in range(3)]
    merged = Histogram()
    for part in parts:
        merged.merge(Histogram.from_json(json.loads(json.dumps(Histogram.of(part).to_json()))))
    whole = Histogram.of([v for part in parts for v in part])
    assert merged.counts == whole.counts and merged.total == whole.total
    assert [merged.percentile(p) for p in PERCENTS] == [whole.percentile(p) for p in PERCENTS]


def test_an_empty_histogram_has_no_percentile() -> None:
    assert Histogram().percentile(95) is None and Histogram().mean_ms is None


def test_samples_merge_per_stage_journey_and_request_and_keep_error_kinds() -> None:
    worker_a, worker_b = Samples(), Samples()
    worker_a.add(("steady", "browse", "GET /"), 10.0)
    worker_a.add(("steady", "quote", "POST /q"), 30.0, error="HTTPError: 500")
    worker_b.add(("steady", "browse", "GET /"), 20.0)
    worker_b.add(("ramp-up", "browse", "GET /"), 5.0)
    master = Samples().merge(Samples.from_json(worker_a.to_json())).merge(Samples.from_json(worker_b.to_json()))
    assert master.where(["steady"], ["browse"]).requests == 2
    assert master.where(["steady"]).errors == 1 and master.where().requests == 4
    assert master.where(name="GET /").histogram.max_ms == 20.0
    assert master.error_kinds == {"POST /q: HTTPError: 500": 1}
