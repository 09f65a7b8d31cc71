"""Fuzz the jsonl importer: `python fuzz/fuzz_jsonl.py [libFuzzer options] [corpus folders]`."""

from harness import run

if __name__ == "__main__":
    run("jsonl")
