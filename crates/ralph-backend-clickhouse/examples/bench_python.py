#!/usr/bin/env python3
"""The Python ralph's side of examples/bench.rs: the same load and queries with ralph-malph 5.1.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install 'ralph-malph[cli,backend-clickhouse]==5.1.0'
    /tmp/ref/bin/python bench_python.py statements.jsonl [--host 127.0.0.1] [--port 8123]
        [--database bench_py] [--chunk 5000] [--queries 50]

Loads the statements file with `ClickHouseDataBackend.write` (JSON lines in, as `ralph write`
gives them) into a table of Ralph's layout, then times `ClickHouseLRSBackend.query_statements`
by agent, verb, since and all three, 100 statements a page, built as the LRS API builds them.
"""
import argparse
import datetime
import math
import time
import warnings

import clickhouse_connect
from ralph.backends.data.clickhouse import ClickHouseDataBackend, ClickHouseDataBackendSettings
from ralph.backends.lrs.base import RalphStatementsQuery
from ralph.backends.lrs.clickhouse import ClickHouseLRSBackend, ClickHouseLRSBackendSettings

AGENTS, VERBS = 1000, 10
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def percentile(values, p):
    values = sorted(values)
    rank = max(1, min(len(values), math.ceil(p / 100 * len(values))))
    return values[rank - 1]


def main():
    # The API builds the query with model_construct from plain values, as here; pydantic then
    # warns on every model_dump.
    warnings.filterwarnings("ignore", category=UserWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--database", default="bench_py")
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    common = dict(HOST=args.host, PORT=args.port, DATABASE=args.database)
    admin = clickhouse_connect.get_client(host=args.host, port=args.port)
    admin.command(f"CREATE DATABASE IF NOT EXISTS {args.database}")
    backend = ClickHouseDataBackend(ClickHouseDataBackendSettings(**common))
    backend.client.command(
        "CREATE TABLE IF NOT EXISTS xapi_events_all (event_id UUID NOT NULL, "
        "emission_time DateTime64(6) NOT NULL, event String NOT NULL) "
        "ENGINE = MergeTree ORDER BY (emission_time, event_id)"
    )
    started = time.perf_counter()
    with open(args.file, "rb") as lines:
        written = backend.write(lines, chunk_size=args.chunk)
    elapsed = time.perf_counter() - started
    print(f"insert: {written} statements in {elapsed:.1f} s = {written / elapsed:.0f} statements/s "
          f"(chunks of {args.chunk})")
    total = written

    lrs = ClickHouseLRSBackend(ClickHouseLRSBackendSettings(**common))

    def since(i, fraction):
        # A datetime: the API hands the raw query-string text to the backend, and ClickHouse
        # refuses an ISO 8601 `since` with a `T` and an offset as a DateTime64 parameter.
        return START + datetime.timedelta(seconds=total * (i % 10) // fraction)

    kinds = {
        "agent": lambda i: {"agent": {"mbox": f"mailto:user{i * 37 % AGENTS}@example.org"}},
        "verb": lambda i: {"verb": f"http://adlnet.gov/expapi/verbs/verb{i % VERBS}"},
        "since": lambda i: {"since": since(i, 10)},
        "agent+verb+since": lambda i: {
            "agent": {"mbox": f"mailto:user{i * 37 % AGENTS}@example.org"},
            "verb": f"http://adlnet.gov/expapi/verbs/verb{(i * 37 % AGENTS) % VERBS}",
            "since": since(i, 20),
        },
    }
    for name, make in kinds.items():
        latencies, returned = [], 0
        started = time.perf_counter()
        for i in range(args.queries):
            # As the API does: model_construct with the parsed query string values.
            params = RalphStatementsQuery.model_construct(limit=100, ascending=False, **make(i))
            t = time.perf_counter()
            result = lrs.query_statements(params)
            latencies.append(time.perf_counter() - t)
            returned += len(result.statements)
        elapsed = time.perf_counter() - started
        print(f"query by {name}: {args.queries} queries, {returned} statements, "
              f"{args.queries / elapsed:.1f} queries/s, {returned / elapsed:.0f} statements/s, "
              f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
