import os
import sys
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(ROOT / "bindings" / "python"))


@pytest.fixture
def demo_manifests() -> Path:
    return ROOT / "examples" / "manifests"


@pytest.fixture
def location(tmp_path) -> str:
    return f"file://{tmp_path / 'bucket'}"

sys.path.insert(0, str(ROOT / "tests" / "support"))
from emulators import azurite, kube_server, moto_s3, s3rver  # noqa: E402,F401  (pytest fixtures)
