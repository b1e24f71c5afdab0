// Package browsertest opens a local HTML file in headless Chromium with the
// network blocked and reports what a reader would see: console errors,
// attempted external requests, the page title, the h2 headings and whether
// each chart canvas has been painted, plus a full-page screenshot.
//
// It is meant for tests. [Check] looks for the browser at $CUSTNET_CHROMIUM,
// then /usr/bin/chromium; when none is found it returns [ErrNoBrowser], and
// [Require] turns that into a skip, or a failure when CI=true.
package browsertest
