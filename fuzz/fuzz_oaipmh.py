"""Fuzz the oai-pmh importer: `python fuzz/fuzz_oaipmh.py [libFuzzer options] [corpus folders]`."""

from harness import run

if __name__ == "__main__":
    run("oai-pmh")
