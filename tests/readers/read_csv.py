"""Reads a CSV file with Python's csv module (utf-8-sig drops the byte-order
mark) and prints its rows as JSON. Not named csv.py: that would hide the
csv module it imports.

Usage: python read_csv.py <file.csv>
"""
import csv
import json
import sys

with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    print(json.dumps(list(csv.reader(f))))
