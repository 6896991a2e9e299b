import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))

from emulators import azurite, kube_server, moto_s3, s3rver  # noqa: E402,F401  (pytest fixtures)
