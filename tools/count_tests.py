#!/usr/bin/env python3
"""Counts test cases in meson test logs and prints one line: "N passed, M failed".

Each doctest binary contributes its own totals ("[doctest] test cases: T | P passed | F failed"), each Python
unittest run its own ("Ran N tests" then "OK" or "FAILED (failures=F, errors=E)"); any other test counts as one
case. A test that crashed, timed out or left no totals counts as failed, and so does a log that is
missing. Usage: count_tests.py LOG.json [LOG.json ...]
"""
import json
import re
import sys

TOTALS = re.compile(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.M)
UNITTEST_BAD = re.compile(r"^FAILED \(([^)]*)\)", re.M)


def unittest_totals(text):
    """(passed, failed) from unittest's summary, or None when there is none."""
    ran = UNITTEST_RAN.findall(text)
    if not ran:
        return None
    total = int(ran[-1])
    bad = UNITTEST_BAD.findall(text)
    failed = 0
    if bad:
        for part in bad[-1].split(","):
            key, _, value = part.strip().partition("=")
            if key in ("failures", "errors", "unexpected successes"):
                failed += int(value)
    return total - failed, failed


def count(path):
    passed = failed = 0
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"count_tests: no test log at {path}", file=sys.stderr)
        return 0, 1
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        ok = entry.get("result") == "OK"
        output = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
        totals = TOTALS.findall(output)
        python = unittest_totals(output)
        if python is not None and not totals:
            totals = [(sum(python), python[0], python[1])]
        if totals:
            _, p, f = (int(x) for x in totals[-1])
            passed += p
            failed += f
            if not ok and f == 0:  # exited badly after its totals (a leak report, a crash at exit)
                failed += 1
        elif ok:
            passed += 1
        else:
            failed += 1
        if not ok:
            print(f"count_tests: {entry.get('name')} {entry.get('result')}", file=sys.stderr)
    return passed, failed


def main(paths):
    passed = failed = 0
    for path in paths:
        p, f = count(path)
        passed += p
        failed += f
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
