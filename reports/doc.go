// Package reports renders custnet results as self-contained, offline HTML.
//
// A [Report] holds plain data that the engine has already computed; reports
// never queries a store. [Write] and [WriteFile] turn it into one HTML file
// with the Apache ECharts library (a pinned 5.x release, vendored under
// assets/echarts) inlined, so the page loads nothing from the network and
// needs no fonts beyond the system's. Charts are built with go-echarts and
// drawn by a page template of this package; every chart has a title, named
// axes with units, a one-sentence reading aid and a plain table of its
// numbers for readers without JavaScript. Any section may be nil: it then
// renders a short "not computed yet" note instead, so a report works with
// whatever stages have run.
//
// [WriteCustomer] renders a [CustomerExport], everything custnet keeps and
// infers about one customer, as a small static page.
//
// Customer identifiers are pseudonymised by default with a keyed hash
// (HMAC-SHA256, first 10 hex digits, "c-3fa9…"); see [Options].
//
// Output is deterministic: the same input and options give byte-identical
// HTML.
package reports
