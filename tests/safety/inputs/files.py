"""The small valid rule files, scenario and snapshot that the input tests change one thing in."""

TIERING = """\
kind: tiering
version: 1
fields:
  volume: {type: number, min: 0}
ladders:
  shops: [A, B, C]
placement:
  - {id: big, when: {volume: {gte: 100}}, tier: A}
  - {id: mid, when: {volume: {gte: 50}}, tier: B}
"""
ALLOCATION = """\
kind: allocation
version: 1
products:
  - id: p1
    supply: 8
    per_client: {A: 3, B: 2, C: 1}
"""
SCENARIO = """\
kind: scenario
version: 1
name: tiny
snapshot: clients.csv
tiering: tiering.yaml
allocation: allocation.yaml
period: 2026Q1
seed: 7
"""
CLIENTS = "client_id,volume\nc1,150\nc2,120\nc3,60\nc4,5\n"
