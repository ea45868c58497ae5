#!/usr/bin/env python3
"""Docs examples are regions of compiled tests.

A doc marks an example with an HTML comment naming the test file and region,
followed by a ```cpp block:
    <!-- snippet: tests/window/windows.cpp#firing -->
The region in the test is between `// [doc:firing]` and `// [end]`.
  doc_snippets.py check DOC...   fails when a block differs from its region
  doc_snippets.py update DOC...  rewrites the blocks from the regions
"""
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = re.compile(r"<!-- snippet: (\S+)#(\S+) -->\n```cpp\n(.*?)```", re.S)


def region(path, name):
    text = (ROOT / path).read_text()
    m = re.search(r"^[ \t]*// \[doc:%s\]\n(.*?)^[ \t]*// \[end\]" % re.escape(name), text, re.S | re.M)
    if not m:
        raise SystemExit(f"{path}: no region {name}")
    return textwrap.dedent(m.group(1))


def main():
    mode, docs = sys.argv[1], sys.argv[2:]
    bad = 0
    for doc in docs:
        p = ROOT / doc
        text = p.read_text()

        def fix(m):
            nonlocal bad
            want = region(m.group(1), m.group(2))
            if m.group(3) != want:
                bad += 1
                print(f"{doc}: example {m.group(1)}#{m.group(2)} differs from the test")
            return f"<!-- snippet: {m.group(1)}#{m.group(2)} -->\n```cpp\n{want}```"

        new = MARK.sub(fix, text)
        if mode == "update":
            p.write_text(new)
    if mode == "check" and bad:
        sys.exit(1)


main()
