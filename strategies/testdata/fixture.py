#!/usr/bin/python3
"""Independent golden values for the strategies fixture.

Reads events.csv, customers.csv and graph_metrics.csv beside this script,
computes every feature of strategies.Features() from its written definition
(plain Python, no SQL, no custnet code), then the mid-rank percentiles, the
strategy scores, the composite and the explanation drivers with the default
configuration (all weights 1, head share 0.8), for the window
as-of 2024-06-30, 30 days (2024-06-01 .. 2024-06-30, both included).

Writes golden.csv (read by TestFixture) and fixture.md (the worked tables).
Run: /usr/bin/python3 strategies/testdata/fixture.py
"""
import csv
import datetime as dt
import math
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
AS_OF = dt.date(2024, 6, 30)
DAYS = 30
START = AS_OF - dt.timedelta(days=DAYS - 1)  # first day in the window
HEAD_SHARE = 0.8

ACCESS = ["visit", "login", "app_open", "search", "call"]
ENGAGE = ["view", "watch", "read", "click", "dwell"]
CONNECT = ["share", "comment", "reply", "follow", "trust", "refer", "mention", "review"]
COLLAB = ["contribute", "edit", "answer", "vote", "idea"]
DWELL = ["view", "read", "watch", "dwell"]

FEATURES = [  # (name, strategy, lower_is_better, gate)
    ("active_days", "access", False, None),
    ("visits_per_day", "access", False, None),
    ("channels", "access", False, None),
    ("channel_entropy", "access", False, None),
    ("mobile_share", "access", False, None),
    ("hours_covered", "access", False, None),
    ("weekdays_covered", "access", False, None),
    ("recency_days", "access", True, "active_days"),
    ("median_gap_days", "access", True, "active_days"),
    ("self_service_share", "access", False, None),
    ("content_events", "engage", False, None),
    ("dwell_total", "engage", False, None),
    ("dwell_median", "engage", False, None),
    ("content_items", "engage", False, None),
    ("return_rate", "engage", False, None),
    ("depth_per_day", "engage", False, None),
    ("ratings", "customize", False, None),
    ("preferences", "customize", False, None),
    ("rec_acceptance", "customize", False, None),
    ("personalisation_uptake", "customize", False, None),
    ("back_catalogue_share", "customize", False, None),
    ("in_degree", "connect", False, None),
    ("out_degree", "connect", False, None),
    ("in_strength", "connect", False, None),
    ("out_strength", "connect", False, None),
    ("pagerank", "connect", False, None),
    ("participation", "connect", False, None),
    ("communities_linked", "connect", False, None),
    ("reach_2hop", "connect", False, None),
    ("conversations", "connect", False, None),
    ("shares", "connect", False, None),
    ("contributions", "collaborate", False, None),
    ("votes_given", "collaborate", False, None),
    ("uptake_received", "collaborate", False, None),
    ("collaborators", "collaborate", False, None),
]
STRATEGIES = ["access", "engage", "customize", "connect", "collaborate"]
WEIGHT = {n: 1.0 for n, _, _, _ in FEATURES}
WEIGHT["votes_given"] = 0.5  # the one default weight that is not 1


def read(name):
    with open(os.path.join(HERE, name), newline="") as f:
        return list(csv.DictReader(f))


def in_window(e):
    if e["at"] == "":
        return True  # undated events belong to every window
    return START <= e["date"] <= AS_OF


events = []
for e in read("events.csv"):
    e["ts"] = dt.datetime.fromisoformat(e["at"]) if e["at"] else None
    e["date"] = e["ts"].date() if e["ts"] else None
    e["value"] = float(e["value"]) if e["value"] else None
    events.append(e)
all_ids = sorted({e["customer_id"] for e in events} | {c["customer_id"] for c in read("customers.csv")})
win = [e for e in events if in_window(e)]

gm = {}
for r in read("graph_metrics.csv"):
    if r["kind"] != "customer":
        continue
    old = gm.get(r["customer_id"])
    if old is None or r["computed_at"] > old["computed_at"]:
        gm[r["customer_id"]] = r

# Popularity head for the back-catalogue share.
consumption = [e for e in win if e["item_id"] and e["action"] in ENGAGE + ["rate", "purchase"]]
pop = {}
for e in consumption:
    pop[e["item_id"]] = pop.get(e["item_id"], 0) + 1
total = sum(pop.values())
head, before = set(), 0
for item, c in sorted(pop.items(), key=lambda kv: (-kv[1], kv[0])):
    if before < HEAD_SHARE * total:
        head.add(item)
    before += c

# Directed connect links customer -> peer (distinct, no self links).
links = {(e["customer_id"], e["peer_id"]) for e in win
         if e["action"] in CONNECT and e["peer_id"] and e["peer_id"] != e["customer_id"]}
out_nb = {}
for a, b in links:
    out_nb.setdefault(a, set()).add(b)


def feats(c):
    mine = [e for e in win if e["customer_id"] == c]
    dated = [e for e in mine if e["date"]]
    days = sorted({e["date"] for e in dated})
    f = {}
    f["active_days"] = len(days)
    visits = sum(1 for e in mine if e["action"] in ACCESS and e["action"] != "call")
    f["visits_per_day"] = visits / len(days) if days else 0
    counts = {}
    for e in mine:
        if e["channel"]:
            counts[e["channel"]] = counts.get(e["channel"], 0) + 1
    f["channels"] = len(counts)
    n = sum(counts.values())
    f["channel_entropy"] = -sum(k / n * math.log2(k / n) for k in counts.values()) if len(counts) > 1 else 0
    f["mobile_share"] = sum(1 for e in mine if e["channel"] in ("mobile", "app")) / len(mine) if mine else 0
    f["hours_covered"] = len({e["ts"].hour for e in dated})
    f["weekdays_covered"] = len({e["date"].weekday() for e in dated})
    f["recency_days"] = (AS_OF - days[-1]).days if days else DAYS
    gaps = [(b - a).days for a, b in zip(days, days[1:])]
    f["median_gap_days"] = statistics.median(gaps) if gaps else DAYS
    call_days = {e["date"] for e in dated if e["action"] == "call"}
    f["self_service_share"] = (len(days) - len(call_days)) / len(days) if days else 0

    eng = [e for e in mine if e["action"] in ENGAGE]
    f["content_events"] = len(eng)
    dw = [e["value"] for e in mine if e["action"] in DWELL and e["value"] is not None]
    f["dwell_total"] = sum(dw)
    f["dwell_median"] = statistics.median(dw) if dw else 0
    f["content_items"] = len({e["item_id"] for e in eng if e["item_id"]})
    edays = sorted({e["date"] for e in eng if e["date"]})
    f["return_rate"] = (len(edays) - 1) / (AS_OF - edays[0]).days if len(edays) > 1 else 0
    f["depth_per_day"] = len(eng) / len(edays) if edays else 0

    cnt = lambda *acts: sum(1 for e in mine if e["action"] in acts)
    f["ratings"] = cnt("rate")
    f["preferences"] = cnt("set_preference")
    shown, accepted = cnt("show_recommendation"), cnt("accept_recommendation")
    f["rec_acceptance"] = accepted / shown if shown else 0
    f["personalisation_uptake"] = (accepted + f["preferences"]) / len(days) if days else 0
    cons = [e for e in consumption if e["customer_id"] == c]
    f["back_catalogue_share"] = sum(1 for e in cons if e["item_id"] not in head) / len(cons) if cons else 0

    g = gm.get(c)
    for k in ("in_degree", "out_degree", "in_strength", "out_strength", "pagerank", "participation"):
        f[k] = float(g[k]) if g else 0
    nbrs = {b for a, b in links if a == c} | {a for a, b in links if b == c}
    f["communities_linked"] = len({gm[o]["community"] for o in nbrs if o in gm})
    reach = set(out_nb.get(c, ()))
    for o in out_nb.get(c, ()):
        reach |= out_nb.get(o, set())
    reach.discard(c)
    f["reach_2hop"] = len(reach)
    f["conversations"] = cnt("comment", "reply")
    f["shares"] = cnt("share")

    f["contributions"] = cnt("contribute", "answer", "edit", "idea")
    f["votes_given"] = cnt("vote")
    f["uptake_received"] = sum(1 for e in win if e["peer_id"] == c and e["customer_id"] != c
                               and e["action"] in ("vote", "reply", "answer", "comment"))
    peers = {e["peer_id"] for e in mine if e["action"] in COLLAB and e["peer_id"] and e["peer_id"] != c}
    peers |= {e["customer_id"] for e in win if e["action"] in COLLAB and e["peer_id"] == c and e["customer_id"] != c}
    f["collaborators"] = len(peers)
    return f


F = {c: feats(c) for c in all_ids}
N = len(all_ids)


def pct(name, lower, gate, c):
    x = F[c][name]
    if F[c][gate or name] == 0:
        return 0.0
    better = sum(1 for d in all_ids if (F[d][name] > x if lower else F[d][name] < x))
    equal = sum(1 for d in all_ids if F[d][name] == x)
    return (better + 0.5 * equal) / N * 100


P = {c: {n: pct(n, lo, g, c) for n, _, lo, g in FEATURES} for c in all_ids}


def wmean(pairs):
    pairs = list(pairs)
    return sum(w * p for w, p in pairs) / sum(w for w, _ in pairs)


S = {c: {s: wmean((WEIGHT[n], P[c][n]) for n, st, _, _ in FEATURES if st == s) for s in STRATEGIES} for c in all_ids}
for c in all_ids:
    S[c]["composite"] = statistics.fmean(S[c][s] for s in STRATEGIES)
MEAN_P = {n: statistics.fmean(P[c][n] for c in all_ids) for n, _, _, _ in FEATURES}


def drivers(c, s):
    names = [n for n, st, _, _ in FEATURES if st == s]
    wsum = sum(WEIGHT[n] for n in names)
    eff = [(WEIGHT[n] * abs(P[c][n] - MEAN_P[n]) / wsum, i, n) for i, n in enumerate(names)]
    eff.sort(key=lambda t: (-t[0], t[1]))
    keep = 3 if len(eff) > 2 and eff[2][0] >= 1 else 2
    return [n for _, _, n in eff[:keep]]


def fmt(v):
    return repr(float(v))


with open(os.path.join(HERE, "golden.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["customer_id"] + [n for n, _, _, _ in FEATURES]
               + [s for s in STRATEGIES] + ["composite"] + ["drivers_" + s for s in STRATEGIES])
    for c in all_ids:
        w.writerow([c] + [fmt(F[c][n]) for n, _, _, _ in FEATURES]
                   + [fmt(S[c][s]) for s in STRATEGIES + ["composite"]]
                   + [";".join(drivers(c, s)) for s in STRATEGIES])

short = lambda v: ("%.4f" % v).rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
with open(os.path.join(HERE, "fixture.md"), "w") as f:
    p = lambda *a: print(*a, file=f)
    p("# strategies fixture: worked values")
    p()
    p("Generated by `fixture.py` (plain Python from the feature definitions in")
    p("features.go, no SQL and no custnet code) from `events.csv`, `customers.csv`")
    p("and `graph_metrics.csv`. Window: as-of 2024-06-30, 30 days, so")
    p("2024-06-01 .. 2024-06-30 inclusive. Default configuration: every weight 1")
    p("except votes_given 0.5, head share 0.8. TestFixture compares every number")
    p("below with FeatureSQL")
    p("run in DuckDB and Score, to 1e-9.")
    p()
    p("## What the fixture exercises")
    p()
    p("- Window edges: events 18 (2024-05-31) and 28 (2024-07-01 00:00) are outside;")
    p("  event 27 (2024-06-30 23:59) is inside. Event 17 has no timestamp: it counts")
    p("  for c02's content, dwell and items but for no day-, hour- or recency feature.")
    p("- c08 has events only before the window and c09 only a customers row: both")
    p("  get a row of zeros with recency and median gap = 30 (the window length) and")
    p("  score 0 everywhere (gated percentiles).")
    p("- Event 34 is a share by c04 to itself: a share, but no link. Event 56 links")
    p("  c04 to c11, who has no events (no row) but a graph_metrics row (community 3).")
    p("- graph_metrics: c05 has an older duplicate row (ignored: latest computed_at")
    p("  wins) and c01 only a 'bipartite' row (ignored: kind must be 'customer').")
    p()
    p("## Head items (back-catalogue share)")
    p()
    p("Consumption = engage, rate and purchase events with an item, in the window:")
    p("%d events. Items by count (desc, then id), cumulative count before each:" % total)
    p()
    p("| item | count | before | before < 0.8·%d = %s? |" % (total, short(HEAD_SHARE * total)))
    p("|---|---|---|---|")
    before = 0
    for item, c in sorted(pop.items(), key=lambda kv: (-kv[1], kv[0])):
        p("| %s | %d | %d | %s |" % (item, c, before, "head" if item in head else "tail"))
        before += c
    p()
    p("## Connect links (directed, distinct, no self links, connect actions)")
    p()
    p(", ".join("%s→%s" % l for l in sorted(links)))
    p()
    for s in STRATEGIES:
        names = [n for n, st, _, _ in FEATURES if st == s]
        p("## %s: feature values" % s.upper())
        p()
        p("| customer | " + " | ".join(names) + " |")
        p("|---|" + "---|" * len(names))
        for c in all_ids:
            p("| %s | " % c + " | ".join(short(F[c][n]) for n in names) + " |")
        p()
        p("## %s: percentiles and score" % s.upper())
        p()
        p("Percentile = (count worse + ½·count equal) / %d · 100, or 0 when the gate is 0." % N)
        if s == "collaborate":
            p("Score = (contributions + 0.5·votes_given + uptake_received + collaborators) / 3.5.")
        else:
            p("Score = mean of the %d percentiles." % len(names))
        p()
        p("| customer | " + " | ".join(names) + " | score | drivers |")
        p("|---|" + "---|" * (len(names) + 2))
        for c in all_ids:
            p("| %s | " % c + " | ".join("%.2f" % P[c][n] for n in names)
              + " | **%.4f** | %s |" % (S[c][s], ", ".join(drivers(c, s))))
        p()
    p("## Composite (mean of the five)")
    p()
    p("| customer | " + " | ".join(STRATEGIES) + " | composite |")
    p("|---|" + "---|" * 6)
    for c in all_ids:
        p("| %s | " % c + " | ".join("%.4f" % S[c][s] for s in STRATEGIES) + " | **%.4f** |" % S[c]["composite"])
    p()
    p("## Two values by hand")
    p()
    p("- c01 active_days: dated events on 06-01, 06-03, 06-10, 06-20, 06-29 = 5 days;")
    p("  gaps 2, 7, 10, 9 → median (7+9)/2 = 8; recency 30-29 = 1 day; visits")
    p("  (visit, login, app_open, search; not call) = 7 over 5 days = 1.4; the call")
    p("  day 06-10 leaves 4 of 5 self-service days = 0.8.")
    p("- c05 uptake_received: vote 42, comment 43 and answer 45 by c06, comment 30")
    p("  by c04, vote 55 by c10 = 5; c06 has 2 (c05's answer 36, c04's reply 31),")
    p("  c04 1 (c05's reply 40), the other seven 0. c05's percentile: 9 customers")
    p("  below, 1 equal → (9 + 0.5)/10·100 = 95.")
    p("- c06 COLLABORATE: contributions 2 (contribute 41, answer 45) is above")
    p("  eight customers' 0s (c05 has 4) → (8 + 0.5)/10 = 85; votes_given 1 ties with")
    p("  c10 above eight zeros → (8 + 1)/10 = 90; uptake 2 → 85; collaborators 1")
    p("  ties with c10 above seven zeros → (7 + 1)/10 = 80. Score =")
    p("  (85 + 0.5·90 + 85 + 80)/3.5 = 295/3.5 = 84.2857.")
