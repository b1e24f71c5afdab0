package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// fontStack names system fonts only, so the page loads no font files.
const fontStack = `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif`

// Colours used across the charts. palette colours communities and groups;
// baselineColour marks reference models.
var (
	palette = []string{
		"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
		"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
		"#1f77b4", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
		"#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
	}
	modelColour    = "#4e79a7"
	baselineColour = "#a0a0a0"
)

// figure is one chart with its reading aid and its table fallback.
type figure struct {
	ID      string // DOM id of the chart container, fixed per chart
	Title   string
	Height  int // pixels
	Option  template.JS
	Reading string
	Table   *table
}

// table is a plain HTML table. Numeric marks right-aligned columns.
type table struct {
	Head     []string
	Numeric  []bool
	Rows     [][]string
	Sortable bool
	Note     string // shown under the table, e.g. "showing 100 of 340 rows"
}

// echartsChart is what every go-echarts chart type provides.
type echartsChart interface {
	Validate()
	JSON() map[string]interface{}
}

// baseOpts returns the global options shared by every chart: an explicit
// chart ID (go-echarts would otherwise draw a random one), a title, system
// fonts, no animation (so a chart is complete as soon as it is drawn) and a
// text-only tooltip that never interprets HTML.
func baseOpts(id, title string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, AssetsHost: "/"}),
		charts.WithTitleOpts(opts.Title{Title: title, Left: "center", TitleStyle: &opts.TextStyle{FontSize: 15}}),
		charts.WithAnimation(false),
	}
}

// optionJSON validates c, takes its ECharts option from go-echarts, applies
// patch on top (for settings go-echarts does not model) and encodes it for
// inlining in a <script> element. encoding/json escapes <, > and &, so no
// string in the data can end the script element.
func optionJSON(c echartsChart, trigger string, patch map[string]any) (template.JS, error) {
	c.Validate()
	m := c.JSON()
	m["animation"] = false
	m["textStyle"] = map[string]any{"fontFamily": fontStack}
	m["tooltip"] = map[string]any{"show": true, "trigger": trigger, "renderMode": "richText", "confine": true}
	delete(m, "toolbox")
	for k, v := range patch {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode chart option: %w", err)
	}
	return template.JS(b), nil
}

// valueOrDash returns v for a chart, or "-" (ECharts' empty value) when v
// is NaN or infinite.
func valueOrDash(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return round(v, 4)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// axisName places an axis name in the middle of its axis, clear of labels.
func xAxis(name string) opts.XAxis {
	return opts.XAxis{Name: name, NameLocation: "middle", NameGap: 30}
}

// yAxis places a vertical axis name clear of tick labels as wide as
// widest (a formatted tick label such as "100,000").
func yAxis(name, widest string) opts.YAxis {
	return opts.YAxis{Name: name, NameLocation: "middle", NameGap: yNameGap(widest)}
}

func yNameGap(widest string) int { return 16 + 7*len([]rune(widest)) }

// grid leaves room for the title above, the legend and axis name below and
// the tick labels and axis name of widest to the left.
func grid(bottom, widest string) opts.Grid {
	return opts.Grid{Left: strconv.Itoa(yNameGap(widest) + 22), Right: "30", Top: "50", Bottom: bottom, ContainLabel: opts.Bool(false)}
}

// noLegend hides the legend of a single-series chart, whose title says it all.
func noLegend() charts.GlobalOpts {
	return charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)})
}

// widestCount returns the formatted maximum of counts, for yAxis and grid;
// ECharts rounds the axis up, so one more digit group is allowed for.
func widestCount(max int64) string {
	return fmtInt(niceCeil(max))
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, as axis ticks do.
func niceCeil(n int64) int64 {
	p := int64(1)
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

func legend() opts.Legend {
	return opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0"}
}
