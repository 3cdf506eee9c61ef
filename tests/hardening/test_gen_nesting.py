"""Finding 3 (a rule summing 258 terms, or min() of 257 arguments, passed `check` but clang refused the C:
"bracket nesting level exceeded maximum of 256") and finding 8's 300-deep parentheses (FILE:1:1 instead of the
rule's position). Whatever `check` accepts must build with clang and gcc."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

PY = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")
GEN = os.path.join(ROOT, "gen", "anima-gen")
SMALL = os.path.join(ROOT, "tests", "catalogues", "small.yaml")
RULE = re.compile(r'          light: "select\(override.*?0\)\)\)\)"', re.S)


def catalogue(tmp_path, expr):
    text = open(SMALL).read()
    m = RULE.search(text)
    assert m, "tests/catalogues/small.yaml changed: env.light's rule is not where this test looks"
    path = tmp_path / "c.yaml"
    path.write_text(text[:m.start()] + '          light: "clamp(%s, 0, 1000)"' % expr + text[m.end():])
    line = text[:m.start()].count("\n") + 1
    return path, line


def builds(tmp_path, path):
    out = tmp_path / "gen"
    r = subprocess.run([PY, GEN, "render", str(path), "-o", str(out), "--no-warnings"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for cc in ("clang", "gcc"):
        if not shutil.which(cc):
            continue
        for f in sorted(os.listdir(out)):
            if f.startswith("group_") and f.endswith(".c"):
                r = subprocess.run([cc, "-std=c11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                                    "-I" + os.path.join(ROOT, "core"), "-I" + str(out), str(out / f)],
                                   capture_output=True, text=True, timeout=300)
                assert r.returncode == 0, (cc, f, r.stderr[-1500:])


@pytest.mark.parametrize("expr", [
    " + ".join(["override"] * 258),
    " - ".join(["override"] * 300),
    "min(" + ", ".join(["override"] * 257) + ")",
    "max(" + ", ".join(["override + %d" % i for i in range(400)]) + ")",
    "(" * 60 + "override" + ")" * 60,
    "".join("select(tod > %d && override >= 0, " % i for i in range(60)) + "override" + ", 0)" * 60,
], ids=["sum258", "difference300", "min257", "max400", "parens60", "select60"])
def test_what_check_accepts_builds_with_clang_and_gcc(tmp_path, expr):
    path, _ = catalogue(tmp_path, expr)
    r = subprocess.run([PY, GEN, "check", str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    builds(tmp_path, path)


@pytest.mark.parametrize("expr", ["(" * 300 + "override" + ")" * 300, "-" * 300 + "override",
                                  "".join("min(1, " for _ in range(300)) + "override" + ")" * 300],
                         ids=["parens300", "minus300", "calls300"])
def test_too_deep_is_an_error_at_the_rule(tmp_path, expr):
    path, line = catalogue(tmp_path, expr)
    r = subprocess.run([PY, GEN, "check", str(path)], capture_output=True, text=True, timeout=300)
    errors = [l for l in r.stderr.splitlines() if ": error: " in l]
    assert r.returncode == 1 and len(errors) == 1, r.stderr
    m = re.match(r"^%s:(\d+):(\d+): error: in rule 'env.light': expression nested too deeply$" % re.escape(str(path)),
                 errors[0])
    assert m and int(m.group(1)) == line, errors[0]
