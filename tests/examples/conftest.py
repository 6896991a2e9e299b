import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from emulators import BUILD, ROOT, api_get, kube_server  # noqa: E402,F401  (pytest fixtures)
