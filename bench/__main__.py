"""Run every benchmark and print its figures: `make bench`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench import load, nlu_eval

MODELS = Path(__file__).resolve().parent.parent / "models" / "bench"
DETAIL = ("  MISSED", "  FALSE ALARM", "  WRONG", "  NOT ANSWERED", "  CONFIDENT")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print("== This project's config.yml beside Rasa's stock config (rasa init), same data, same run", flush=True)
        ours, stock, training = load.train_both(MODELS)
        print(training, flush=True)
        for label, model in (("ours", ours), ("stock", stock)):
            for line in load.measure(model, label, workdir):
                print(line, flush=True)
        print("\n== Accuracy on held-out sets (never used for training): this project", flush=True)
        for line in nlu_eval.run(ours):
            print(line, flush=True)
        print("\n== The same sets with the stock config (summary)", flush=True)
        for line in nlu_eval.run(stock):
            if not line.startswith(DETAIL):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
