package reports

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// strategyNames are the five strategies in display order.
var strategyNames = [5]string{"access", "engage", "customize", "connect", "collaborate"}

// five returns the five strategy scores of s in the order of strategyNames.
func (s Scores) five() [5]float64 {
	return [5]float64{s.Access, s.Engage, s.Customize, s.Connect, s.Collaborate}
}

// maxRadarGroups is how many groups the radar draws beside the business.
const maxRadarGroups = 7

func strategiesSection(r *Report, _ Options) (section, error) {
	st := r.Strategies
	if st == nil {
		return missing("strategies", headingStrategies, "score"), nil
	}
	s := section{ID: "strategies", Heading: headingStrategies}

	// Business means, with the change from the previous window when known.
	head := []string{"Strategy", "#Business mean (0–100)"}
	if st.Previous != nil {
		head = append(head, "#Previous window", "#Change")
	}
	t := newTable(head...)
	bf := st.Business.five()
	b := append(bf[:], st.Business.Composite)
	var p []float64
	if st.Previous != nil {
		pf := st.Previous.five()
		p = append(pf[:], st.Previous.Composite)
	}
	for i, name := range append(strategyNames[:], "composite") {
		row := []string{name, fmtFloat(b[i], 1)}
		if p != nil {
			row = append(row, fmtFloat(p[i], 1), fmtSigned(b[i]-p[i], 1))
		}
		t.add(row...)
	}
	s.Blocks = append(s.Blocks, block{Heading: "Business means", Table: t})

	f, err := radarFigure(st)
	if err != nil {
		return s, err
	}
	s.Blocks = append(s.Blocks, block{Figure: f})

	if len(st.Histograms) > 0 {
		var figs []*figure
		for i, h := range st.Histograms {
			f, err := histogramFigure(i, h)
			if err != nil {
				return s, err
			}
			figs = append(figs, f)
		}
		s.Blocks = append(s.Blocks, block{Heading: "Score distributions", Grid: figs})
	}
	if len(st.Maturity) > 0 {
		s.Blocks = append(s.Blocks, block{Heading: "Maturity", List: st.Maturity})
	}
	return s, nil
}

// radarFigure draws the business means and the largest groups' means.
func radarFigure(st *StrategiesSection) (*figure, error) {
	const id = "chart-radar"
	groups := append([]GroupScores(nil), st.Groups...)
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Size > groups[j].Size })
	shown := groups
	if len(shown) > maxRadarGroups {
		shown = shown[:maxRadarGroups]
	}

	ind := make([]*opts.Indicator, len(strategyNames))
	for i, n := range strategyNames {
		ind[i] = &opts.Indicator{Name: n, Max: 100}
	}
	c := charts.NewRadar()
	c.SetGlobalOptions(append(baseOpts(id, "Mean strategy scores: business and largest groups"),
		charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: ind, SplitNumber: 4, Center: []string{"50%", "52%"},
			AxisName: &opts.AxisName{Color: "#1d2630", FontSize: 13}}),
		charts.WithLegendOpts(legend()),
	)...)
	t := newTable("Series", "#Customers", "#access", "#engage", "#customize", "#connect", "#collaborate")

	add := func(name string, size int, sc Scores, width float32, colour string) {
		v := sc.five()
		vals := make([]float64, 5)
		for i := range v {
			vals[i] = round(v[i], 2)
		}
		c.AddSeries(name, []opts.RadarData{{Name: name, Value: vals}},
			charts.WithLineStyleOpts(opts.LineStyle{Width: width, Color: colour}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colour}))
		row := []string{name, ""}
		if size > 0 {
			row[1] = fmtInt(size)
		}
		for _, x := range v {
			row = append(row, fmtFloat(x, 1))
		}
		t.add(row...)
	}
	add("business", 0, st.Business, 3, "#1d2630")
	for i, g := range shown {
		add(g.Name, g.Size, g.Means, 1.5, palette[i%len(palette)])
	}

	reading := "Each polygon is a mean score per strategy on 0–100; the thick dark one is the whole business."
	switch {
	case len(groups) == 0:
		reading += " No segments or communities were scored."
	case len(groups) > len(shown):
		reading += " Showing the " + strconv.Itoa(len(shown)) + " largest of " + strconv.Itoa(len(groups)) + " groups; click a legend entry to hide it."
	default:
		reading += " Click a legend entry to hide it."
	}
	o, err := optionJSON(c, "item", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: "Mean strategy scores", Height: 440, Option: o, Table: t, Reading: reading}, nil
}

// histogramFigure draws one strategy's score distribution in bins of 5.
func histogramFigure(i int, h Histogram) (*figure, error) {
	id := fmt.Sprintf("chart-hist-%d", i)
	title := "Distribution of " + h.Strategy + " scores"
	bins := make([]string, len(h.Counts))
	data := make([]opts.BarData, len(h.Counts))
	t := newTable("#Score bin", "#Customers")
	var total int64
	for b, n := range h.Counts {
		lo := 5 * b
		bins[b] = strconv.Itoa(lo)
		data[b] = opts.BarData{Value: n}
		rng := fmt.Sprintf("%d–%d", lo, lo+5)
		if b == len(h.Counts)-1 {
			rng = fmt.Sprintf("%d–100", lo)
		}
		t.add(rng, fmtInt(n))
		total += n
	}
	var maxN int64
	for _, n := range h.Counts {
		maxN = max(maxN, n)
	}
	w := widestCount(maxN)
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(id, title),
		charts.WithXAxisOpts(opts.XAxis{Name: "Score (0–100, bins of 5)", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(yAxis("Customers (count)", w)),
		charts.WithGridOpts(grid("45", w)),
		noLegend(),
	)...)
	c.SetXAxis(bins)
	c.AddSeries(h.Strategy, data, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "8%"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: palette[i%len(palette)]}))
	// go-echarts models axisLabel.interval as a string, which ECharts
	// ignores; label every fourth bin (0, 20, 40, 60, 80) instead.
	o, err := optionJSON(c, "axis", map[string]any{"xAxis": []map[string]any{{
		"type": "category", "data": bins, "name": "Score (0–100, bins of 5)", "nameLocation": "middle", "nameGap": 28,
		"axisLabel": map[string]any{"interval": 3},
	}}})
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: title, Height: 280, Option: o, Table: t,
		Reading: "Each bar counts the customers whose " + h.Strategy + " score falls in a 5-point bin (" + fmtInt(total) + " customers in all)."}, nil
}
