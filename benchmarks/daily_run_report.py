"""What daily_run.py prints, and the README table of a recorded run."""

from __future__ import annotations

GOAL_TRIVIAL = 1.5
GOAL_SEQUENTIAL = 10.0


def line(label: str, sp: dict, unit: str = "s") -> str:
    return f"  {label:<34} median {sp['median']:7.3f}{unit}   min {sp['min']:7.3f}{unit}   max {sp['max']:7.3f}{unit}"


def print_scenario(name: str, s: dict, v: dict, count: int, latency_ms: float, server: dict) -> None:
    print(f"\n== {name}: {count} endpoints, {latency_ms:g} ms each "
          f"({'one port each' if name == 'fleet' else 'one port, per-target limit applies'})")
    print(line("daily run (wall)", s["daily"]["wall_s"]))
    print(line("  cpu (user+sys)", s["daily"]["cpu_s"]))
    print(line("  pytest's own 'in Xs'", s["daily"]["pytest_s"]))
    print(line("  results.json duration_s", s["daily"]["run_s"]))
    print(line("  collect-only (startup+collection)", s["collect"]["wall_s"]))
    if "pytest_s" in s["collect"]:
        print(line("    of which collection ('in Xs')", s["collect"]["pytest_s"]))
    print(line("  slowest probe", {k: s["daily"]["slowest_probe_ms"][k] / 1000 for k in ("median", "min", "max")}))
    if "no_archive" in s:
        print(line("  --no-archive (no report files)", s["no_archive"]["wall_s"]))
    print(line("(a) trivial pytest (wall)", s["trivial"]["wall_s"]))
    print(line("(b) sequential probing (wall)", s["sequential"]["wall_s"]))
    print(line("  (b) probing loop only", s["sequential"]["loop_s"]))
    print(f"  (b) client CPU per probe (requests + check, one thread): {s['sequential']['cpu_ms_per_probe']['median']:.2f} ms")
    print(line("  (b) slowest probe", {k: s["sequential"]["slowest_probe_ms"][k] / 1000 for k in ("median", "min", "max")}))
    if server.get("cpu_ms_per_request") is not None:
        print(f"  server process: {server['cpu_s']:.1f}s CPU for {server['requests']} requests "
              f"({server['cpu_ms_per_request']:.2f} ms each)")
    ok = lambda met: "PASS" if met else "MISS"  # noqa: E731
    print(f"  goal (a): daily / (a + slowest) = {v['daily_over_trivial_plus_slowest']:.2f}  (<= {GOAL_TRIVIAL})  "
          f"{ok(v['goal_trivial_met'])}" + ("" if v["goal_trivial_met"] else
                                            f"  -- over the allowed {v['allowed_daily_s']:.3f}s by {v['over_by_s']:.3f}s"))
    print(f"  goal (b): b / daily = {v['sequential_over_daily']:.2f}  (>= {GOAL_SEQUENTIAL:g})  "
          f"{ok(v['goal_sequential_met'])}" + ("" if v["goal_sequential_met"] else
                                               f"  -- needs a daily run of {v['daily_needed_for_sequential_goal_s']:.3f}s"))
    after = v["sequential_loop_over_daily_after_collection"]
    print(f"  daily - collect-only (probes, tests, reports): {v['daily_after_collection_s']:.3f}s; "
          f"b's loop over that: {after:.1f}" if after else "  daily - collect-only: not positive (noisy machine?)")
    print(f"  for reference: daily / (a + slowest probe of (b), unloaded) = "
          f"{v['daily_over_trivial_plus_unloaded_slowest']:.2f}; on the fastest runs: goal (a) "
          f"{v['best_daily_over_trivial_plus_slowest']:.2f}, goal (b) {v['best_sequential_over_daily']:.2f}")


def table(record: dict) -> str:
    """The README's table of the latest numbers, from one recorded invocation."""
    rows = ["| | " + " | ".join(record["scenarios"]) + " |", "|---|" + "---|" * len(record["scenarios"])]

    def row(label: str, get) -> None:
        rows.append(f"| {label} | " + " | ".join(get(s) for s in record["scenarios"].values()) + " |")

    def wall(cmd: str, key: str = "wall_s"):
        return lambda s: f"{s['summary'][cmd][key]['median']:.2f} s ({s['summary'][cmd][key]['min']:.2f}–" \
                         f"{s['summary'][cmd][key]['max']:.2f})"
    row("daily run, wall (median, min–max)", wall("daily"))
    row("daily run, CPU user+sys", wall("daily", "cpu_s"))
    row("daily run, pytest's own time", wall("daily", "pytest_s"))
    row("collect-only (startup + collection)", wall("collect"))
    row("slowest probe", lambda s: f"{s['summary']['daily']['slowest_probe_ms']['median']:.0f} ms")
    row("(a) trivial pytest, wall", wall("trivial"))
    row("(b) sequential probing, wall", wall("sequential"))
    row("(b) probing loop only", wall("sequential", "loop_s"))
    row(f"daily / (a + slowest) — goal ≤ {GOAL_TRIVIAL}",
        lambda s: f"**{s['goals']['daily_over_trivial_plus_slowest']:.2f}** "
                  f"{'PASS' if s['goals']['goal_trivial_met'] else 'MISS'}")
    row(f"b / daily — goal ≥ {GOAL_SEQUENTIAL:g}",
        lambda s: f"**{s['goals']['sequential_over_daily']:.2f}** "
                  f"{'PASS' if s['goals']['goal_sequential_met'] else 'MISS'}")
    row("daily with --no-archive (no report files)",
        lambda s: wall("no_archive")(s) if "no_archive" in s["summary"] else "—")
    row("daily − collect-only (probes, tests, reports)", lambda s: f"{s['goals']['daily_after_collection_s']:.2f} s")
    row("(b) client CPU per probe", lambda s: f"{s['goals']['client_cpu_ms_per_probe']:.1f} ms")
    m = record["machine"]
    source = record["git"].get("source", "working tree")
    changed = record["git"].get("changed_code") or record["git"]["dirty"]
    head = (f"Recorded {record['date']} on commit `{(record['git']['commit'] or '?')[:10]}` ({source}"
            f"{', with uncommitted changes' if changed else ''}): {m['nproc']} CPUs ({m['cpu']}), "
            f"Python {m['python']}, pytest {m['pytest']}; {record['config']['endpoints']} endpoints × "
            f"{record['config']['latency_ms']:g} ms, {record['config']['repeat']} interleaved repetitions; "
            f"load average {m['load_avg_at_start'][0]} at start, {m.get('load_avg_at_end', ['?'])[0]} at end.")
    return head + "\n\n" + "\n".join(rows)


def report(record: dict) -> None:
    for name, s in record["scenarios"].items():
        print_scenario(name, s["summary"], s["goals"], record["config"]["endpoints"], record["config"]["latency_ms"],
                       s.get("server", {}))
    print("\n== startup (wall, median of 3)")
    for name, sp in record["startup"].items():
        print(f"  {name:<44} {sp['median']:.3f}s")
    profile = record.get("import_profile")
    if profile:
        daily, trivial = profile["daily"], profile["trivial"]
        print(f"\n== -X importtime (inflated by the profiler): daily run {daily['total_ms']:.0f} ms of imports, "
              f"trivial run {trivial['total_ms']:.0f} ms")
        print("  daily, top-level imports, cumulative ms: " +
              ", ".join(f"{n} {ms:.0f}" for n, ms in daily["top_level_cumulative_ms"][:10]))
        print("  daily, self time by package, ms:         " +
              ", ".join(f"{n} {ms:.0f}" for n, ms in daily["self_ms_by_package"][:10]))
        print("  daily minus trivial, by package, ms:     " +
              ", ".join(f"{n} {ms:.0f}" for n, ms in profile["daily_minus_trivial_ms_by_package"][:8]))
    print(f"\nbenchmark took {record['elapsed_s']:.0f}s")
