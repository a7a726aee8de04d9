#!/usr/bin/env python3
"""Writes the demo's sample documents as CSV (title, body) to stdout: the docstrings of Python's
standard library (real English text about real things), made offline from the local Python.

Only docstrings of at least MIN_CHARS characters are kept; output is sorted, so the corpus is
the same on every run with the same Python.
"""
import contextlib
import csv
import io
import importlib
import inspect
import pkgutil
import sys
import sysconfig
import warnings

MIN_CHARS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
MAX_DOCS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
SKIP = ("test", "idlelib", "tkinter", "turtle", "antigravity", "this", "lib2to3", "ensurepip", "pydoc_data")


def modules():
    stdlib = sysconfig.get_paths()["stdlib"]
    for info in pkgutil.walk_packages([stdlib], onerror=lambda _: None):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")) or name.split(".")[0] in SKIP:
            continue
        yield name
    yield from (n for n in sys.builtin_module_names if not n.startswith("_"))


def docs():
    seen = set()
    warnings.simplefilter("ignore")
    for name in sorted(set(modules())):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # some modules print when imported
                mod = importlib.import_module(name)
        except BaseException:
            continue
        items = [(name, mod)]
        for attr, obj in sorted(vars(mod).items()):
            if attr.startswith("_") or not str(getattr(obj, "__module__", "") or "").startswith(name.split(".")[0]):
                continue
            items.append((f"{name}.{attr}", obj))
            if inspect.isclass(obj):
                for m, meth in sorted(vars(obj).items()):
                    if not m.startswith("_") and callable(meth):
                        items.append((f"{name}.{attr}.{m}", meth))
        for title, obj in items:
            doc = inspect.getdoc(obj)
            if not doc or len(doc) < MIN_CHARS or doc in seen:
                continue
            seen.add(doc)
            yield title, doc


def reference():
    """The language reference shipped for pydoc, cut into passages at paragraph breaks."""
    from pydoc_data.topics import topics

    for topic, text in sorted(topics.items()):
        passage, n = [], 0
        for para in text.split("\n\n"):
            passage.append(para.strip("\n"))
            if sum(len(p) for p in passage) >= 600:
                n += 1
                yield f"reference: {topic} ({n})", "\n\n".join(passage)
                passage = []
        if sum(len(p) for p in passage) >= MIN_CHARS:
            yield f"reference: {topic} ({n + 1})", "\n\n".join(passage)


def main():
    with contextlib.redirect_stdout(io.StringIO()):  # importing some modules prints
        rows = sorted(set(docs()) | set(reference()))[:MAX_DOCS]
    w = csv.writer(sys.stdout)
    w.writerow(["title", "body"])
    w.writerows(rows)
    print(f"{len(rows)} documents", file=sys.stderr)


if __name__ == "__main__":
    main()
