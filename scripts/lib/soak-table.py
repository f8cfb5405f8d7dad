#!/usr/bin/env python3
"""Summarises scripts/soak.sh's runs (one "key value" file per run) as a Markdown table:
median [min-max] over the runs for numbers, the values seen for the rest.

Usage: soak-table.py SOAK_SECONDS RESULT_FILE..."""
import statistics
import sys

seconds = sys.argv[1]
runs = []
for path in sys.argv[2:]:
    values = {}
    for line in open(path):
        key, _, value = line.rstrip("\n").partition(" ")
        values[key] = value
    runs.append(values)

ROWS = [  # key, what it is, format
    ("sent", "queries sent (all dnsperf clients)", "{:,.0f}"),
    ("completed", "queries answered", "{:,.0f}"),
    ("lost", "queries lost (no answer within dnsperf's 2 s)", "{:,.0f}"),
    ("lost_pct", "lost, % of sent", "{:.3f}"),
    ("qps", "answers per second (dnsperf, summed)", "{:,.0f}"),
    ("shelterd_cpu_pct", "shelterd's CPU, % of one core", "{:.0f}"),
    ("answers_per_s_median", "answers per second, median second (shelterd's counters)", "{:,.0f}"),
    ("answers_per_s_outage_min", "answers per second, worst second of the Redis outage", "{:,.0f}"),
    ("reloads", "reloads made (SIGHUP and admin API in turn)", "{:.0f}"),
    ("reloads_ok", "shelter_reloads_total{result=\"ok\"}", "{:.0f}"),
    ("api_reloads_swapped", "admin API reloads answered \"swapped in\"", "{:.0f}"),
    ("list_loads_ok", "shelter_list_reloads_total{list=\"big\",result=\"ok\"}", "{:.0f}"),
    ("reloads_failed", "reloads failed or partial", "{:.0f}"),
    ("reloads_stuck", "reloads not in force within 5 s", "{:.0f}"),
    ("reload_in_force_ms_median", "reload to new names blocked, median ms", "{:.0f}"),
    ("reload_in_force_ms_max", "reload to new names blocked, max ms", "{:.0f}"),
    ("rss_min_mib", "VmRSS min, MiB", "{:.1f}"),
    ("rss_max_mib", "VmRSS max, MiB", "{:.1f}"),
    ("rss_end_mib", "VmRSS at the end, MiB", "{:.1f}"),
    ("hwm_end_mib", "VmHWM at the end, MiB", "{:.1f}"),
    ("rss_growth_pct", "VmRSS growth from the 10th second to the end, %", "{:.1f}"),
    ("redis_unsubscribed_s", "seconds with the changes channel down (1 s samples)", "{:.0f}"),
    ("redis_resubscribed_after_s", "Redis restart to subscribed again, s (1 s samples)", "{:.0f}"),
    ("redis_fetch_failures", "household reads failed", "{:.0f}"),
    ("household_fallbacks", "household lookups answered with the default profile", "{:.0f}"),
    ("household_fetched", "household lookups that waited for a read", "{:.0f}"),
    ("redis_binding_reloads", "full binding reads (start, reconnections)", "{:.0f}"),
    ("probe_normal_own", "probes outside the outage: own profile", "{:.0f}"),
    ("probe_normal_default", "probes outside the outage: default profile", "{:.0f}"),
    ("probe_normal_lost", "probes outside the outage: lost", "{:.0f}"),
    ("probe_outage_own", "probes in the outage: own profile", "{:.0f}"),
    ("probe_outage_default", "probes in the outage: default profile (blocked)", "{:.0f}"),
    ("probe_outage_lost", "probes in the outage: lost", "{:.0f}"),
    ("servfail", "SERVFAIL answers", "{:.0f}"),
    ("dropped", "queries dropped by shelterd (no answer)", "{:.0f}"),
    ("stop_ms", "SIGTERM to exit, ms", "{:.0f}"),
    ("stop_status", "exit status after SIGTERM", None),
    ("end_answer", "dig at the end", None),
    ("web_status", "block page at the end (HTTP status; 403 is the page)", None),
    ("crashed", "shelterd died", None),
    ("failed", "failed checks", None),
]


def cell(key, fmt):
    values = [r[key] for r in runs if key in r and r[key] != ""]
    if not values:
        return "n/a"
    if fmt is None:
        return ", ".join(sorted(set(values)))
    numbers = sorted(float(v) for v in values)
    median = statistics.median(numbers)
    if numbers[0] == numbers[-1]:
        return fmt.format(median)
    return f"{fmt.format(median)} [{fmt.format(numbers[0])}-{fmt.format(numbers[-1])}]"


print(f"| {len(runs)} runs of {seconds} s | median [min-max] |")
print("|---|---|")
for key, what, fmt in ROWS:
    print(f"| {what} | {cell(key, fmt)} |")
