#!/usr/bin/python3
"""Time reference PageRank implementations for graph's benchmarks.

    /usr/bin/python3 graph/testdata/pagerank_ref.py [edges.txt]

Prints, one per line, "<impl> <dataset> <nodes> <edges> <seconds>":
  * networkx.pagerank (alpha=0.85, tol=1e-10/N so that it stops at an L1
    change below 1e-10 like graph.PageRank) on wiki-Vote, read from
    $CUSTNET_DATASETS or ../shared/datasets;
  * igraph Graph.pagerank (PRPACK, damping 0.85, directed) on the edge list
    given as argument (whitespace or comma separated "src dst" lines, #
    comments allowed), when one is given, and on wiki-Vote.
Only the PageRank call is timed, not reading or graph construction; with
CUSTNET_PAGERANK_REPEAT=N (default 1) it runs N times and prints the
fastest.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("CUSTNET_DATASETS") or os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "shared", "datasets"))


def read_pairs(path):
    src, dst = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            p = line.replace(",", " ").split()
            if len(p) >= 2:
                src.append(int(p[0]))
                dst.append(int(p[1]))
    return src, dst


def fastest(call):
    best = None
    for _ in range(max(1, int(os.environ.get("CUSTNET_PAGERANK_REPEAT", "1")))):
        t = time.perf_counter()
        call()
        best = min(best or float("inf"), time.perf_counter() - t)
    return best


def time_networkx(name, src, dst):
    import networkx as nx
    g = nx.DiGraph()
    g.add_edges_from(zip(src, dst))
    sec = fastest(lambda: nx.pagerank(g, alpha=0.85, tol=1e-10 / g.number_of_nodes(), max_iter=1000))
    print("networkx", name, g.number_of_nodes(), g.number_of_edges(), "%.4f" % sec)


def time_igraph(name, src, dst):
    import igraph as ig
    ids = {}
    for x in src + dst:
        ids.setdefault(x, len(ids))
    g = ig.Graph(n=len(ids), edges=[(ids[a], ids[b]) for a, b in zip(src, dst)], directed=True)
    g.simplify(multiple=True, loops=False)
    sec = fastest(lambda: g.pagerank(damping=0.85, directed=True))
    print("igraph", name, g.vcount(), g.ecount(), "%.4f" % sec)


if __name__ == "__main__":
    wv = read_pairs(os.path.join(ROOT, "wiki-vote", "wiki-Vote.txt"))
    time_networkx("wiki-Vote", *wv)
    time_igraph("wiki-Vote", *wv)
    if len(sys.argv) > 1:
        time_igraph(os.path.basename(sys.argv[1]), *read_pairs(sys.argv[1]))
