package datasets

import (
	"bytes"
	"context"
)

// formatWikiVote is SNAP's wiki-Vote: who voted on whose promotion to
// Wikipedia administrator (https://snap.stanford.edu/data/wiki-Vote.html).
const formatWikiVote = "wiki-vote"

func init() {
	register(FormatInfo{
		Name:        formatWikiVote,
		Description: "SNAP wiki-Vote: # comments, then tab-separated `from to` votes",
		Read:        readWikiVote,
		Sniff:       sniffWikiVote,
	})
}

// readWikiVote reads each `from to` line as a "vote" event: customer =
// from, peer = to, value 1, no item, no time.
func readWikiVote(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	var sum Summary
	err := scanFile(ctx, &sum, path, false, true, lineScan{comment: "#"}, sink, opt, edgeLines(formatWikiVote, "vote", path, " ", sink))
	return sum, err
}

// sniffWikiVote recognises SNAP's edge lists: tab-separated pairs of
// numbers, usually after # comments.
func sniffWikiVote(path string, head []byte) bool {
	lines := sniffLines(head, "#", 5)
	if len(lines) == 0 {
		return false
	}
	var (
		e      Event
		fields [][]byte
	)
	for _, l := range lines {
		if bytes.Count(l, []byte{'\t'}) != 1 {
			return false
		}
		if r, _ := parseEdge(formatWikiVote, "vote", l, " ", &fields, &e); r != "" || len(fields) != 2 || !allDigits(e.Customer) || !allDigits(e.Peer) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
