#!/usr/bin/python3
"""Checks docs/scenarios.md against the scenario binaries, so the catalogue cannot drift.

Every scenario ID tag ([SMK-003], [STD-018], ...) a binary lists must have a row in the catalogue
table, and every ID in the table must be listed by some binary. Usage:
    check_catalogue.py docs/scenarios.md e2e-python e2e-java e2e-platform
"""
import json
import re
import subprocess
import sys

ID = re.compile(r"\b(?:SMK|STD|ASC|RTP|RTJ|RST)-\d{3}\b")


def listed_ids(binary):
    out = subprocess.run([binary, "--list-tests", "--reporter", "json"], check=True, capture_output=True, text=True).stdout
    ids = {}
    for test in json.loads(out)["listings"]["tests"]:
        for tag in test["tags"]:
            if ID.fullmatch(tag):
                ids.setdefault(tag, []).append(test["name"])
    return ids


def catalogue_ids(path):
    text = open(path, encoding="utf-8").read()
    section = text.split("## Catalogue", 1)[1].split("\n## ", 1)[0]
    ids = set()
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| ID") and not line.startswith("| ---"):
            first_cell = line.split("|")[1]
            ids.update(ID.findall(first_cell))
    return ids


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    documented = catalogue_ids(sys.argv[1])
    implemented = {}
    for binary in sys.argv[2:]:
        for tag, names in listed_ids(binary).items():
            implemented.setdefault(tag, []).extend(names)
    missing_rows = sorted(set(implemented) - documented)
    stale_rows = sorted(documented - set(implemented))
    for tag in missing_rows:
        print(f"{tag}: listed by the binaries ({'; '.join(implemented[tag])}) but has no row in the catalogue of {sys.argv[1]}")
    for tag in stale_rows:
        print(f"{tag}: has a catalogue row in {sys.argv[1]} but no binary lists a test case with that tag")
    if missing_rows or stale_rows:
        return 1
    print(f"catalogue matches the binaries: {len(documented)} IDs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
