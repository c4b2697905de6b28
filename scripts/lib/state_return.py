#!/usr/bin/env python3
"""Checks a salt-api `state.apply` return (full_return) for one minion.

Reads the JSON body on stdin; prints a one-line summary and exits 0 when the
retcode is 0 and every state's result is true, else prints what failed and
exits 1 (render errors come back as a list of strings, docs/salt-gotchas.md#g4).
"""

import json
import sys


def main() -> int:
    minion = sys.argv[1]
    body = json.load(sys.stdin)
    ret = body["return"][0].get(minion)
    if not isinstance(ret, dict):
        print(f"no return from {minion}: {ret!r}")
        return 1
    states = ret.get("ret")
    retcode = ret.get("retcode")
    if retcode != 0 or not isinstance(states, dict):
        print(f"retcode {retcode}: {states!r}")
        return 1
    bad = [f"{s.get('__id__')}: {s.get('comment')}" for s in states.values() if s.get("result") is not True]
    if bad:
        print("failed states: " + "; ".join(bad))
        return 1
    changed = [s.get("__id__") for s in states.values() if s.get("changes")]
    print(f"{len(states)} states ok, " + (f"changed: {', '.join(changed)}" if changed else "nothing changed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
