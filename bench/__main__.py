"""Run every benchmark and print its figures: `make bench`."""

from __future__ import annotations

import sys

from bench import nlu_eval
from bot.stack import MODEL_FILE


def main() -> int:
    print("== Accuracy on held-out sets (never used for training)")
    for line in nlu_eval.run(MODEL_FILE):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
