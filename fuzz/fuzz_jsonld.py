"""Fuzz the jsonld importer: `python fuzz/fuzz_jsonld.py [libFuzzer options] [corpus folders]`."""

from harness import run

if __name__ == "__main__":
    run("jsonld")
