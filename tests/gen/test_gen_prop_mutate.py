"""Properties of `check` on damaged catalogues: random mutations of a valid catalogue's text (lines deleted,
duplicated, swapped, characters changed, tabs inserted, numbers changed) either pass or fail with only
`FILE:LINE:COLUMN: error|warning: MESSAGE` lines: never a traceback, never other output. And what passes
renders and compiles with -Wall -Wextra -Werror (a sample of them).

Each Hypothesis example is a batch of mutants checked in one generator process."""
import os
import re

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from animatest import CATALOGUES, check_many, compile_sim, render

SOURCES = ["small.yaml", "mixed.yaml", "death.yaml"]
TEXTS = {}
for _n in SOURCES:
    with open(os.path.join(CATALOGUES, _n), encoding="utf-8") as _f:
        TEXTS[_n] = _f.read()
NUMBER = re.compile(r"-?\d+")
ODD_NUMBERS = ["0", "-1", "1", "2147483647", "-2147483648", "2147483648", "9223372036854775807",
               "99999999999999999999999", "86400", "86401", "1_000", "0x10", "1.5", "1e3", "-0", "007"]
ODD_TEXT = ["\t", " ", ":", "-", "[", "]", "{", "}", ",", "\"", "'", "#", "&a", "*a", "!!int", "|", ">", "?",
            "%", "@", "`", "\\", "\u00e9", "\u0000", "\ufeff", "\n", "x", "_", "__", "rnage", "every", "stimulus"]
PHASES = list(Phase) if os.environ.get("ANIMA_SHRINK") else [Phase.explicit, Phase.reuse, Phase.generate]


def mutation():
    line = st.integers(0, 10_000)
    return st.one_of(
        st.tuples(st.just("delete"), line),
        st.tuples(st.just("duplicate"), line),
        st.tuples(st.just("swap"), line, line),
        st.tuples(st.just("char"), line, st.integers(0, 200), st.sampled_from(ODD_TEXT)),
        st.tuples(st.just("erase"), line, st.integers(0, 200), st.integers(1, 8)),
        st.tuples(st.just("tab"), line),
        st.tuples(st.just("number"), line, st.integers(0, 20), st.one_of(st.sampled_from(ODD_NUMBERS),
                                                                          st.integers().map(str))),
    )


def apply(text, muts):
    lines = text.split("\n")
    for m in muts:
        if not lines:
            lines = [""]
        k = m[1] % len(lines)
        kind = m[0]
        if kind == "delete":
            del lines[k]
        elif kind == "duplicate":
            lines.insert(k, lines[k])
        elif kind == "swap":
            j = m[2] % len(lines)
            lines[k], lines[j] = lines[j], lines[k]
        elif kind == "char":
            s = lines[k]
            i = m[2] % (len(s) + 1)
            lines[k] = s[:i] + m[3] + s[i + 1:]
        elif kind == "erase":
            s = lines[k]
            i = m[2] % (len(s) + 1)
            lines[k] = s[:i] + s[i + m[3]:]
        elif kind == "tab":
            s = lines[k]
            n = len(s) - len(s.lstrip(" "))
            lines[k] = s[:n] + "\t" + s[n:]
        elif kind == "number":
            nums = list(NUMBER.finditer(lines[k]))
            if nums:
                g = nums[m[2] % len(nums)]
                lines[k] = lines[k][:g.start()] + m[3] + lines[k][g.end():]
    return "\n".join(lines)


state = {"passed": [], "compiled": 0, "mutants": 0}
MAX_COMPILES = 3


@settings(max_examples=12, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.tuples(st.sampled_from(SOURCES), st.lists(mutation(), min_size=1, max_size=4)),
                      min_size=25, max_size=25))
def test_mutants_fail_cleanly_or_compile(tmp_path_factory, batch):
    d = tmp_path_factory.mktemp("mut")
    paths, texts = [], {}
    for n, (src, muts) in enumerate(batch):
        p = str(d / ("m%02d.yaml" % n))
        text = apply(TEXTS[src], muts)
        with open(p, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        paths.append(p)
        texts[p] = text
    results = check_many(paths)
    state["mutants"] += len(paths)
    for p in paths:
        rc, out, err = results[p]
        what = "mutant:\n%s\n--- check said:\n%s" % (texts[p], err)
        assert rc in (0, 1), "exit status %r\n%s" % (rc, what)
        assert out == "", what
        pat = re.compile(r"^%s:\d+:\d+: (error|warning): .+$" % re.escape(p))
        lines = err.splitlines()
        for line in lines:
            assert pat.match(line), "unexpected output line %r\n%s" % (line, what)
        assert (rc == 1) == any(": error: " in line for line in lines), what
        if rc == 0 and texts[p] not in TEXTS.values():
            state["passed"].append(p)
            if state["compiled"] < MAX_COMPILES:
                state["compiled"] += 1
                gendir = render(p, p + ".gen")
                compile_sim(gendir, p + ".sim")


def test_some_mutants_passed_and_compiled():
    """Runs after the property (file order): the sample of compiled mutants is not empty."""
    if state["mutants"] == 0:
        return  # the property was deselected
    assert state["compiled"] >= 1, state
