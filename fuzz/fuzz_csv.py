"""Fuzz the csv importer: `python fuzz/fuzz_csv.py [libFuzzer options] [corpus folders]`."""

from harness import run

if __name__ == "__main__":
    run("csv")
