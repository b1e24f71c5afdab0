package reftimes

import (
	"reflect"
	"testing"
)

func TestParseKeepsTimingLinesOnly(t *testing.T) {
	out := "networkx wiki-Vote 7115 103689 0.0867\n" +
		"a warning from a library\n" +
		"igraph pl10M.txt 999999 9999638 1.8161\n" +
		"igraph wiki-Vote 7115 103689 soon\n"
	want := []Timing{
		{Impl: "networkx", Dataset: "wiki-Vote", Nodes: 7115, Edges: 103689, Seconds: 0.0867},
		{Impl: "igraph", Dataset: "pl10M.txt", Nodes: 999999, Edges: 9999638, Seconds: 1.8161},
	}
	if got := Parse([]byte(out)); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
}
