// Package benchmarks holds custnet's end-to-end Go benchmarks (ingest,
// generate+ingest, graph) driven through the public engine API, and
// RESULTS.md with what they measured; package suite behind `custnet
// bench` runs the same stages on real and generated data.
package benchmarks
