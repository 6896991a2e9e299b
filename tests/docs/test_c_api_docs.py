"""The C API reference (issue 15, brief s3-docs): docs/c-api.sh builds it with Doxygen from the
comments of vbackup.h and vbackup_version.h, with no warning, and fails when a vbk_* declaration
has no comment, so the reference cannot fall behind the header."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
HEADER = ROOT / "capi" / "include" / "vbackup.h"


def build(tmp_path, include=None):
    env = dict(os.environ, VBK_BUILD_DIR=str(tmp_path / "build"))
    if include:
        env["VBK_DOCS_INCLUDE"] = str(include)
    return subprocess.run(["bash", str(ROOT / "docs" / "c-api.sh")], env=env, capture_output=True, text=True)


def declared_functions():
    return sorted(set(re.findall(r"^VBK_API\b[^(]*?\b(vbk_\w+)\(", HEADER.read_text(), re.M)))


@pytest.fixture(autouse=True)
def doxygen():
    if not shutil.which("doxygen"):
        pytest.fail("doxygen is not installed (scripts/setup.sh installs it)")


def test_every_vbk_function_is_in_the_reference_without_a_warning(tmp_path):
    r = build(tmp_path)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "build" / "docs" / "c-api" / "html" / "vbackup_8h.html").read_text()
    functions = declared_functions()
    assert len(functions) > 50
    for f in functions:
        assert f">{f}()" in page or f">{f}</a>" in page, f
    # The new error accessors, and a member group's second function, carry their text.
    assert "HTTP status of the answer" in page
    assert (tmp_path / "build" / "docs" / "c-api" / "html" / "vbackup__version_8h.html").exists()


def test_an_undocumented_declaration_fails_the_build(tmp_path):
    include = tmp_path / "include"
    include.mkdir()
    shutil.copy(ROOT / "capi" / "include" / "vbackup_version.h.in", include)
    text = HEADER.read_text()
    text = text.replace("#ifdef __cplusplus\n}\n#endif", "VBK_API int vbk_undocumented(void);\n\n#ifdef __cplusplus\n}\n#endif")
    assert "vbk_undocumented" in text
    (include / "vbackup.h").write_text(text)
    r = build(tmp_path, include)
    assert r.returncode != 0
    assert "vbk_undocumented" in r.stderr and "not documented" in r.stderr
