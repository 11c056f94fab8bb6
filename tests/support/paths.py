"""Where things are: the checkout, the recorded exports the imports copy, and this folder's scripts."""

from pathlib import Path

SUPPORT = Path(__file__).resolve().parent  # also holds the scripts tests run as processes of their own
ROOT = SUPPORT.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
