#!/usr/bin/env python3
"""Doxygen's INPUT_FILTER for the C headers (docs/Doxyfile): reads the header named on the command
line, writes it to stdout with its comments as Doxygen comments, line for line (so warnings name
the header's own lines). The headers keep plain C comments, as SQLite's and LevelDB's do:

- the first comment of the file is the file's documentation (\\file);
- a comment that opens a line documents the declaration after it (/** … */), except the section
  rules ("/* ---- locations … ---- */"), which stay plain comments;
- a comment after code on the same line documents that code (/**< … */: a macro, a struct field);
- a comment before a run of declarations (no blank line, no other comment between) documents each
  of them (a Doxygen member group: "VBK_VERSION_MAJOR, _MINOR, _PATCH", "*_process, *_reconcile");
- in comment text, <, >, @, # and \\ are escaped: "<b>-logs.gz" is a file name here, not HTML."""
import os
import re
import sys


def escape(text: str) -> str:
    return re.sub(r"([<>@#\\])", r"\\\1", text)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    in_comment = False
    first = True
    for line in lines:
        if in_comment:
            end = line.find("*/")
            if end < 0:
                out.append(escape(line))
                continue
            out.append(escape(line[:end]) + line[end:])
            in_comment = False
            continue
        m = re.match(r"^(\s*)/\*(?!\*)(.*)$", line)
        if m and not m.group(2).lstrip().startswith("----"):
            body = m.group(2)
            opener = "/** \\file " + os.path.basename(sys.argv[1]) + " " if first else "/**"
            first = False
            end = body.find("*/")
            if end < 0:
                out.append(m.group(1) + opener + escape(body))
                in_comment = True
            else:
                out.append(m.group(1) + opener + escape(body[:end]) + body[end:])
            continue
        if m:  # a section rule
            first = False
            out.append(line)
            in_comment = "*/" not in line
            continue
        t = re.match(r"^(.*\S.*?)(\s*)/\*(?!\*)(.*)\*/\s*$", line)
        if t and "/*" not in t.group(1) and not re.match(r"\s*#\s*(?!define)", t.group(1)):  # not "#endif /* X */"
            out.append(t.group(1) + t.group(2) + "/**<" + escape(t.group(3)) + "*/")
            continue
        out.append(line)
    group_runs(lines, out)
    sys.stdout.write("\n".join(out))


DECLARATION = re.compile(r"^(?:#define\s+(\w+)|VBK_API\b[^(]*?(\w+)\()")


def group_runs(lines, out) -> None:
    """After a doc comment, each further declaration of its run without a comment of its own gets
    /**< \\copydoc FIRST */ on its last line: VBK_VERSION_MINOR shares VBK_VERSION_MAJOR's text."""
    for i, line in enumerate(out):
        if not (line.rstrip().endswith("*/") and is_doc_comment_end(out, i)):
            continue
        first = None
        j = i + 1
        while j < len(lines) and lines[j].strip() and not lines[j].lstrip().startswith(("/*", "#if", "#endif", "#else")):
            m = DECLARATION.match(lines[j])
            end = j
            macro = lines[j].startswith("#")
            while end + 1 < len(lines) and not declaration_ends(lines[end], macro):
                end += 1
            if m and first is None:
                first = m.group(1) or m.group(2)
            elif m and "/*" not in "".join(lines[j:end + 1]):
                out[end] += " /**< \\copydoc " + first + " */"
            j = end + 1


def declaration_ends(line: str, macro: bool) -> bool:
    stripped = line.rstrip()
    if macro:
        return not stripped.endswith("\\")
    return stripped.endswith((";", "}")) or not stripped


def is_doc_comment_end(out, i: int) -> bool:
    """Whether line i closes a /** comment that opens a line (not a trailing /**< one)."""
    for k in range(i, -1, -1):
        if "/**<" in out[k]:
            return False
        if re.match(r"^\s*/\*\*", out[k]):
            return "\\file" not in out[k]
        if k < i and "*/" in out[k]:
            return False
    return False


if __name__ == "__main__":
    main()
