#!/usr/bin/env python3
"""Check that every code block in the docs is a region of a compiled test.

In the docs, a block is tied to a region by an HTML comment on the line
before its fence:

    <!-- doc:NAME -->
    ```cpp
    ...
    ```

and a compiled source (a test, or a header) marks the same code with `// [doc:NAME]` ... `// [end]`.
Fails if a block differs from its region (after removing common indentation),
names a region that does not exist, or if a ```cpp block has no tag.
"""
import re
import sys
import textwrap


def regions(source):
    found, name, lines = {}, None, []
    for line in open(source, encoding="utf-8").read().splitlines():
        m = re.match(r"\s*// \[doc:([\w-]+)\]\s*$", line)
        if m:
            name, lines = m.group(1), []
        elif name and re.match(r"\s*// \[end\]\s*$", line):
            found[name] = textwrap.dedent("\n".join(lines)).strip("\n")
            name = None
        elif name:
            lines.append(line)
    return found


def blocks(doc):
    text = open(doc, encoding="utf-8").read().splitlines()
    out, i = [], 0
    while i < len(text):
        if text[i].startswith("```cpp"):
            tag = re.match(r"<!-- doc:([\w-]+) -->", text[i - 1]) if i > 0 else None
            j = i + 1
            while j < len(text) and not text[j].startswith("```"):
                j += 1
            out.append((tag.group(1) if tag else None, i + 1, "\n".join(text[i + 1:j]).strip("\n")))
            i = j
        i += 1
    return out


def main():
    # usage: check_doc_examples.py SOURCE... -- DOC...
    split = sys.argv.index("--")
    sources, docs = sys.argv[1:split], sys.argv[split + 1:]
    known = {}
    for source in sources:
        known.update(regions(source))
    source = " / ".join(sources)
    failures = 0
    for doc in docs:
        for name, line, code in blocks(doc):
            where = f"{doc}:{line}"
            if name is None:
                print(f"{where}: ```cpp block without a <!-- doc:NAME --> tag")
                failures += 1
            elif name not in known:
                print(f"{where}: no region [doc:{name}] in {source}")
                failures += 1
            elif textwrap.dedent(code) != known[name]:
                print(f"{where}: block doc:{name} differs from the compiled region in {source}")
                failures += 1
    print(f"{failures} problem(s)" if failures else "docs match the compiled examples")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
