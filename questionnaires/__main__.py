"""``python -m questionnaires PATH...``: validate definition files (default: the shipped ones)."""

import sys

from . import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
