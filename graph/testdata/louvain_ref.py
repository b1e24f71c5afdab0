#!/usr/bin/python3
"""Time igraph's Louvain and Leiden, and leidenalg's Leiden, on an edge
list, to set graph.Louvain's times and modularity beside C and C++
implementations on the same graph.

    /usr/bin/python3 graph/testdata/louvain_ref.py edges.txt [algo ...]

edges.txt holds "src dst" lines (whitespace or comma separated, #
comments allowed; read by pagerank_ref.read_pairs), as TestWriteBenchEdges
in graph/bench_test.go writes them. The
graph is made undirected with parallel edges summed into weights and loops
kept, which is graph.Louvain's undirected view. algo is "multilevel"
(igraph's Louvain, community_multilevel), "leiden" (community_leiden with
the modularity objective, iterated until stable) or "leidenalg" (Traag's
C++ leidenalg, ModularityVertexPartition, its default two iterations,
seed 1; needs Debian's python3-leidenalg); multilevel and leiden by
default. Each
runs in a child process of its own so that a slow one can be stopped
(CUSTNET_LOUVAIN_REF_TIMEOUT seconds, default 600). Prints one line per
run: "<algo> <file> <nodes> <edges> <seconds> <modularity> <communities>",
or "<algo> <file> timeout <seconds>". Only the community call is timed.
Needs Debian's python3-igraph.
"""
import os
import subprocess
import sys
import time


def run(path, algo):
    import igraph as ig
    from pagerank_ref import read_pairs  # beside this file

    src, dst = read_pairs(path)
    g = ig.Graph(n=max(src + dst, default=-1) + 1, edges=list(zip(src, dst)), directed=False)
    g.es["weight"] = 1.0
    g.simplify(multiple=True, loops=False, combine_edges="sum")
    start = time.perf_counter()
    if algo == "leiden":
        c = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
    elif algo == "leidenalg":
        import leidenalg
        c = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, weights="weight", n_iterations=2, seed=1)
    else:
        c = g.community_multilevel(weights="weight")
    secs = time.perf_counter() - start
    q = g.modularity(c, weights="weight")
    print(f"{algo} {os.path.basename(path)} {g.vcount()} {g.ecount()} {secs:.3f} {q:.6f} {len(c)}", flush=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path, algos = sys.argv[1], sys.argv[2:] or ["multilevel", "leiden"]
    if os.environ.get("_LOUVAIN_REF_CHILD"):
        run(path, algos[0])
        return
    for algo in algos:
        if algo not in ("multilevel", "leiden", "leidenalg"):
            sys.exit(f"louvain_ref.py: unknown algo {algo!r} (want multilevel, leiden or leidenalg)")
    limit = float(os.environ.get("CUSTNET_LOUVAIN_REF_TIMEOUT", "600"))
    for algo in algos:
        env = dict(os.environ, _LOUVAIN_REF_CHILD="1")
        try:
            subprocess.run([sys.executable, __file__, path, algo], env=env, check=True, timeout=limit)
        except subprocess.TimeoutExpired:
            print(f"{algo} {os.path.basename(path)} timeout {limit:g}", flush=True)
        except subprocess.CalledProcessError as e:
            sys.exit(e.returncode)  # the child has said why


if __name__ == "__main__":
    main()
