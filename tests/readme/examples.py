#!/usr/bin/python3
"""The README's examples: what they run, and whether a run looks as shown.

    examples.py list README             every example command, one a line
    examples.py check README N OUTPUT   does OUTPUT (what example N printed,
                                        stdout and stderr) have the shape
                                        the README shows for it?

An example is a line "$ COMMAND" in a ``` block; what follows it, up to
the next "$ " line or the block's end, is what it printed.  Its shape:
every line shown, other than "...", must be found in the output, in that
order (other lines may come between: the README elides).  A shown line
matches with its numbers (decimal, or 0x hex) standing for any number,
its runs of blanks for any run, the checkout's path (/work/main/) for
any, "about" in the trace's closing line for "about" or "at most", and in
JSON the values of "filename" and "function" for any string (which
functions are busiest in an interval depends on the moment).
"""
import re
import sys


def examples(path):
    """[(command, [lines shown])] in README order."""
    out, inside, cur = [], False, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("```"):
                inside = not inside
                cur = None
                continue
            if not inside:
                continue
            if line.startswith("$ "):
                cur = (line[2:], [])
                out.append(cur)
            elif cur is not None:
                cur[1].append(line)
    return out


def shape(line):
    """A regex for a shown line."""
    text = line.rstrip()
    pat, i = "", 0
    tokens = re.finditer(r'"(filename|function)":"[^"]*"|/work/main/|0x[0-9a-f]+|[0-9]+|  *|'
                         r"cost the target about", text)
    for m in tokens:
        pat += re.escape(text[i:m.start()])
        tok = m.group(0)
        if m.group(1):
            pat += '"%s":"[^"]*"' % m.group(1)
        elif tok == "/work/main/":
            pat += r"\S*/"
        elif tok.startswith("0x"):
            pat += "0x[0-9a-f]+"
        elif tok[0].isdigit():
            pat += "[0-9]+"
        elif tok.startswith("cost"):
            pat += "cost the target (about|at most)"
        else:
            pat += " +" if m.start() else " *"
        i = m.end()
    pat += re.escape(text[i:])
    return re.compile("^" + pat + "$")


def check(readme, n, output):
    cmd, shown = examples(readme)[n]
    with open(output, encoding="utf-8", errors="replace") as f:
        got = [l.replace("\r", "").rstrip() for l in f]
    at, matched = 0, 0
    for line in shown:
        if line.strip() in ("", "..."):
            continue
        rx = shape(line)
        while at < len(got) and not rx.match(got[at]):
            at += 1
        if at == len(got):
            print(f"not in the output (after line {matched}): {line}")
            return 1
        at += 1
        matched += 1
    print(f"{matched} lines shown, all found in order in {len(got)} lines")
    return 0


def main():
    if sys.argv[1] == "list":
        for cmd, _ in examples(sys.argv[2]):
            print(cmd)
        return 0
    return check(sys.argv[2], int(sys.argv[3]), sys.argv[4])


if __name__ == "__main__":
    sys.exit(main())
