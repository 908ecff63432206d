"""Issue 14's profiles of the backfill, round by round: where the CPU went and what each round changed. The
Backfill section of docs/benchmarks.md prints them after its tables (measured then, not by that run)."""

#: Where the time went before issue 14's second round (not re-measured by this run): one quiet-machine
#: profile (load 0.4) of the 3,000-issue run, py-spy (GIL samples, all threads) and a request timeline.
PROFILE_2026_12_07 = """\
Profile before this round's changes (2026-12-07, load 0.4; py-spy over all threads plus a timeline of every
request; 3.6-3.8 s in process, 0.77-0.88 ms CPU per issue):

- wall: 0.30 s `serverInfo`, then the project listing, in sequence; 0.55 s for 20 `approximate-count`
  queries (8 at a time) before the first issue page; then 20 partitions, 8 at a time, whose next page was
  asked for only after the current one was mapped (50-220 ms per page with 8 mappers on 2 cores), and
  3-8 jq worker processes started during the pass (8 concurrent mappers, 4 idle workers kept; 53 ms CPU
  and about 200 ms each);
- CPU per issue: jq 0.31 ms (parsing the 5.4 KB issue alone 0.16 ms: jq reads JSON at about 35 MB/s,
  Python's decoder at about 250 MB/s; the rules 0.13 ms); the local state file rewritten whole after
  every change, 3,000 ownership items included, about 0.3 ms (quadratic in the issue count); worker
  starts 0.05-0.14 ms; the rest (decoding pages, HTTP, Port bodies, results) about 0.15 ms.

Changed since: the deployment detection and Cloud's first project page go out together; a project that
Cloud's listing puts at or below `BACKFILL_SPLIT_ISSUES` is not counted; each partition reads one page
ahead; at most 4 pages are mapped at once, on workers started before the first page arrives; the state
file appends a journal instead of rewriting itself. What remains is mostly jq itself.
"""

#: Issue 14's CPU round (measured 2026-12-07 12:00-12:55 UTC under load 1.5-11 from other work on 2 cores:
#: ratios side by side, not absolute numbers; the table above is this run's).
PROFILE_CPU_ROUND = """\
CPU per issue, before and after the CPU round (2026-12-07, load 6-11 on 2 cores, so side by side:
`python -m bench.bench_backfill --cpu 2` alternating with the previous tree, 6 pairs; the process's own
CPU from `os.times`, the workers' from `/proc/PID/stat`): 0.65-0.73 ms -> 0.47-0.58 ms (median ratio
0.71x); the jq workers 0.37-0.39 ms -> 0.20-0.25 ms, this process about 0.25 ms before and after.
At load 1.5-2.4, 3 pairs: 0.62-0.64 ms -> 0.46-0.52 ms (median ratio 0.77x), wall 2.05-2.13 s -> 1.96-2.12 s.
jq CPU per issue on one 100-issue emulator page with the derived fields (best of 7): every rule on the
raw page 341 us (parsing its 5,630 bytes alone 143 us); on the page cut to what the mapping reads (1,249
bytes, parsing 42 us) 241 us; also without the five rules whose filter is false for any issue of a
backfill issue page 180 us. The cut costs this process 13 us per issue (Python decodes the page anyway:
20 us). Left in this process (py-spy GIL samples): decoding Jira pages, the cut, HTTP to Jira and Port,
decoding jq's output and building actions, threads; left in jq: the issue rule's 24 fields, 2-6 us each.
"""

#: Issue 14's second CPU round (2026-12-07 14:40-16:00 UTC, load 0.5-2.4 from other work on 2 cores).
PROFILE_CPU_ROUND_2 = """\
CPU per issue, second CPU round (2026-12-07, load 0.7-2.4 on 2 cores, so side by side: `python -m
bench.bench_backfill --cpu 3` alternating with the previous tree, 4 pairs at load 0.7-1.4): 0.51-0.59 ms ->
0.45-0.53 ms (ratios 0.86, 0.89, 0.87, 1.03), wall 2.12-2.39 s -> 2.07-2.22 s. Where it goes now (thread CPU
of one run at load 1.5, per issue; about twice the quiet-machine cost of each step): this process 0.29 ms:
Port bulk upserts 0.08 (160 requests through `requests`, about 0.5 ms each alone) and the page writer 0.04;
Jira pages 0.07 (HTTP 0.03, decoding 5.6 KB 0.04); mapping 0.06 (the cut 0.03, the worker round trip and
decoding its answer 0.015, building actions 0.02). The jq workers 0.22 ms: in-process on one page (best of
9) parsing the cut issue 40 us, the envelope 6, the issue rule's filter 5 and its 25 fields about 95 (a
plain path about 2.3 us; `first()` 2.2 us more; url, issueUrl, description and sprint lost theirs once the
proof counted `//`'s outputs as the larger side's, not the sum). Changed: the default mapping's kind rules
are left out of issue pages too (a static conjunct may use `//`: jq 262 -> 175 us per issue with the whole
default mapping); fields with at most one output skip `first()` (plain paths joined by `|` or `//`, or a
proof bound of one: 170 -> 144-150 us); the collector's first threshold is 50,000 during the pass (GC 24-36
-> 0-7 us); Jira bodies are read in one chunk (about 1 ms less per 750 KB page). Tried and reverted: mapping
pages in this process (proven mapping, within its gate): CPU equal, wall 0.3 s worse, since jq then holds
the GIL and no longer runs beside the Jira and Port threads on the second core.
Then a run's first invocation starts the issue pass beside the project writes (pages read and mapped while
the projects are written; issue writes wait for them): 3 pairs of `--cpu 2`, 2.23/2.24/2.08 ->
2.17/2.21/2.02 s.
"""


#: Issue 14's third CPU round (2026-12-07 16:55-18:00 UTC, load 0.2-3.9 from other work on 2 cores).
PROFILE_CPU_ROUND_3 = """\
CPU per issue, third CPU round (2026-12-07; side by side: `python -m bench.bench_backfill --cpu 3` or
`--cpu 4` alternating with the previous tree): 5 pairs at load 1.7-3.0 0.51/0.44/0.43/0.51/0.50 ->
0.43/0.40/0.41/0.42/0.42 ms (ratios 0.84, 0.91, 0.95, 0.83, 0.84); 6 pairs at load 0.8-2.0
0.41/0.38/0.46/0.42/0.37/0.39 -> 0.34/0.32/0.33/0.31/0.31/0.35 ms (ratios 0.82, 0.86, 0.71, 0.75, 0.84,
0.91), the jq workers 0.15-0.19 -> 0.11-0.12 ms, wall 1.80-1.96 -> 1.70-1.84 s. The previous tree measured
0.37-0.38 ms on a quiet host (load 0.3). Where it went before (thread CPU of one run, quiet host): jq
workers 0.16 ms; Port requests 0.06 (160 through `requests`, about 1.3 ms each alone, `trust_env` 0.15 of
it); mapping in this process 0.06 (the cut 13 us, the worker round trip 8, building actions 12); Jira
pages 0.05 (decoding 5.6 KB 22-25 us, HTTP 14); the page writer 0.03 (bulk bodies 9 us, the local state
file's ledger about 6); the run's set-up 0.011 (the fields derived twice, 12 ms, and the page program,
15 ms, per run). In jq on one emulator page, in process (best of 9-15): 137 us per issue, of which parsing
the 1,311-byte cut issue 38, the issue rule's 25 fields 60-80 (a plain path 1.5-3 us, three index steps of
it `.body.issue.fields`), converting the output 9 and its `json.dumps` 9. Changed: a page program binds
each issue and its fields once and an expression starting with `.body.issue.fields.X`/`.body.issue.X`
reads them there (137 -> 121 us); the cut keeps of an array mapped over (`map(.key)`) each element's parts
read, and of the issue only its keys read (1,311 -> 850 bytes, 121 -> 106-110 us); a plain path's value
comes back bare, not in a list, and an expression two fields share runs once (-> 90-99 us); workers answer
in `marshal`'s format (encoding 9 -> 1 us, decoding 7 -> 5); a session reads proxies and CA bundle once
(1.39 -> 1.26 ms per Port request); a bulk body is one `json.dumps` (8.9 -> 5.2 us per entity), its query
encoded once per batch; the fields an expression reads and whether a filter never matches are kept per
process (27 ms per run -> under 1 ms from the second run). Where it goes now (thread CPU, 4 rounds at
load 1.1-1.9: 0.28, 0.30, 0.33, 0.38 ms, the last with the workers' start): jq workers 0.117 ms, mapping
in this process 0.056, Port requests 0.054, Jira pages 0.048, the page writer 0.024, set-up 0.006.
Tried and reverted: `tojson` in jq instead of converting its output (24 us slower per issue, and it keeps
literals such as `1.0` and `1E+1000` that the per-event path turns into `1` and `1.797e308`); 2 pages
mapped at once instead of 4 (CPU equal, wall 0.1 s worse); a faster template fill when building actions
(0.5 us per issue, not worth touching the coordinator's model.py). Left: decoding Jira pages (stdlib
`json`, 22-25 us per issue), the per-request cost of `requests` itself (about 0.8 ms: preparing and
merging each call, cookies, header parsing), the local state file's ledger (a `json.loads` per item), jq
parsing the cut issue (about 25 us) and the sprint field (8 us).
Then both clients sent through urllib3 (`transport.HttpSession`, replacing that session): a local Port bulk
request 1.77 -> 1.23 ms of the calling thread's CPU (300 requests of 20 entities each way).
"""
