// Package datasets knows custnet's canonical event schema, its action
// vocabulary, the file formats custnet reads, and the synthetic generator.
//
// It turns source files into canonical rows ([Event], customer and item
// attributes, rejects with file line and reason) and hands them to a [Sink];
// it never computes analytics and never talks to the store. The engine
// package owns storage.
package datasets
