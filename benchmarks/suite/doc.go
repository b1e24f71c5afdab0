// Package suite runs custnet's benchmark suites (the logic of `custnet
// bench`): each stage (generate, ingest, graph, score, train, recommend,
// evaluate, report, and the reference implementations they are compared
// with) runs in a child process of its own so that its wall time and peak
// RSS are its alone, and the results come back as a [Report] printed as a
// table or JSON, with the end-to-end totals on generated data and the
// performance goals judged.
//
// A child is the current executable run again with the same arguments and
// an environment variable naming the stage; [Run] recognises it and runs
// that one stage instead of the suite. A program that calls Run must
// therefore reach Run again with the same command line, as `custnet bench`
// does.
package suite
