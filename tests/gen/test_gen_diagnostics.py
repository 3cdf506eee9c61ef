"""Negative fixtures: every file in tests/gen/bad/ is one mistake (or a few, when the point is reporting them
together) and declares, in its leading comment lines, exactly what `anima-gen check` must print:

    # expect: LINE:COLUMN: error: MESSAGE

The check must print those lines, prefixed with the file name, and nothing else: exit 1 when one of them is an
error, 0 when all are warnings; no traceback, nothing on stdout."""
import os

import pytest

from animatest import CATALOGUES, ROOT, check_many, gen

BAD = os.path.join(ROOT, "tests", "gen", "bad")
FIXTURES = sorted(f for f in os.listdir(BAD) if f.endswith(".yaml"))
EXPECT = b"# expect: "


def expectations(path):
    """The '# expect:' lines among the file's leading comment lines (the file may not be UTF-8)."""
    out = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if not line.startswith(b"#"):
                break
            if line.startswith(EXPECT):
                out.append(line[len(EXPECT):].decode("utf-8").rstrip("\r"))
    return out


@pytest.fixture(scope="module")
def checked():
    """`check` of every fixture, in one process (a few through the real command line below)."""
    res = check_many([os.path.join("tests", "gen", "bad", name) for name in FIXTURES])
    return {name: res[os.path.join("tests", "gen", "bad", name)] for name in FIXTURES}


def test_there_are_fixtures():
    assert len(FIXTURES) >= 60


@pytest.mark.parametrize("name", FIXTURES)
def test_bad_catalogue(name, checked):
    rel = os.path.join("tests", "gen", "bad", name)
    want = ["%s:%s" % (rel, e) for e in expectations(os.path.join(BAD, name))]
    assert want, "%s declares no '# expect:' line" % name
    rc, stdout, stderr = checked[name]
    assert "Traceback" not in stderr, stderr
    assert stdout == ""
    assert stderr.splitlines() == want
    errors = any(": error: " in line for line in want)
    assert rc == (1 if errors else 0), stderr


@pytest.mark.parametrize("name", ["unknown_key_variable.yaml", "not_utf8.yaml", "alias_bomb.yaml",
                                  "unused_input_warning.yaml", "multiple_errors.yaml"])
def test_bad_catalogue_command_line(name):
    """The same through the real command line (exit status, streams) for a few of them."""
    rel = os.path.join("tests", "gen", "bad", name)
    want = ["%s:%s" % (rel, e) for e in expectations(os.path.join(BAD, name))]
    r = gen("check", rel)
    assert (r.stdout, r.stderr.splitlines()) == ("", want)
    assert r.returncode == (1 if any(": error: " in line for line in want) else 0)


def test_expect_lines_are_well_formed():
    import re
    pat = re.compile(r"^\d+:\d+: (error|warning): \S.*$")
    for name in FIXTURES:
        for e in expectations(os.path.join(BAD, name)):
            assert pat.match(e), "%s: malformed expectation %r" % (name, e)


def test_binary_and_tab_fixtures_are_what_they_claim():
    """The not-UTF-8 fixture really is not UTF-8; the tab fixture really has a tab in its indentation."""
    with open(os.path.join(BAD, "not_utf8.yaml"), "rb") as f:
        data = f.read()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with open(os.path.join(BAD, "tab_indent.yaml"), "rb") as f:
        assert b"\n\t" in f.read()


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize("data", [b"", b"\n\n", b"   \n", b"\xef\xbb\xbf"], ids=["zero-bytes", "newlines", "spaces", "bom"])
def test_empty_file(tmp_path, data):
    p = write(tmp_path, "empty.yaml", data)
    r = gen("check", p)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "%s:1:1: error: empty catalogue (expected a mapping with 'anima', 'stimuli' and 'groups')" % p]


def test_missing_file(tmp_path):
    p = str(tmp_path / "nope.yaml")
    r = gen("check", p)
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["%s:1:1: error: cannot read file: No such file or directory" % p]


def test_directory_instead_of_file(tmp_path):
    r = gen("check", str(tmp_path))
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["%s:1:1: error: cannot read file: Is a directory" % tmp_path]


def test_not_utf8_written_here(tmp_path):
    """The same mistake as the committed binary fixture, with the bytes written by the test: a UTF-16 file."""
    with open(os.path.join(CATALOGUES, "small.yaml"), encoding="utf-8") as f:
        text = f.read()
    p = write(tmp_path, "utf16.yaml", text.encode("utf-16"))
    r = gen("check", p)
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["%s:1:1: error: file is not valid UTF-8 (byte 0xff)" % p]


def test_bom_is_accepted(tmp_path):
    with open(os.path.join(CATALOGUES, "small.yaml"), "rb") as f:
        data = f.read()
    p = write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + data)
    r = gen("check", "--no-warnings", p)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(CATALOGUES) if f.endswith(".yaml")))
def test_good_catalogues_check(name):
    r = gen("check", os.path.join(CATALOGUES, name))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert ": error: " not in r.stderr and "Traceback" not in r.stderr
