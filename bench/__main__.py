"""Run every benchmark and print its figures: `make bench`.

`python -m bench --ours-only` measures this project's model alone: no stock model
(whose training takes about half an hour here), for comparing versions of this project.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import load, nlu_eval

MODELS = Path(__file__).resolve().parent.parent / "models" / "bench"
DETAIL = ("  MISSED", "  FALSE ALARM", "  WRONG", "  NOT ANSWERED", "  CONFIDENT")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--ours-only", action="store_true", help="skip Rasa's stock config (no stock training)")
    if parser.parse_args().ours_only:
        return ours_only()
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


def ours_only() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        print("== This project's config.yml (no stock comparison: --ours-only)", flush=True)
        ours, training = load.train_ours(MODELS)
        print(training, flush=True)
        for line in load.measure(ours, "ours", Path(tmp)):
            print(line, flush=True)
        print("\n== Accuracy on held-out sets (never used for training): this project", flush=True)
        for line in nlu_eval.run(ours):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
