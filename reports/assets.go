package reports

import (
	_ "embed"
	"html/template"
)

// echartsVersion is the vendored Apache ECharts release; see
// assets/echarts/README.md.
const echartsVersion = "5.6.0"

//go:embed assets/echarts/echarts.min.js
var echartsJS string

// echartsScript is the library as trusted script text. The file holds no
// "</script" sequence (checked by a test), so it can be inlined as is.
var echartsScript = template.JS(echartsJS)
