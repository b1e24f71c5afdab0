package reports

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

func dataSection(r *Report, _ Options) (section, error) {
	d := r.Data
	if d == nil || (len(d.Sources) == 0 && len(d.Consent) == 0) {
		return missing("data", headingData, "ingest"), nil
	}
	s := section{ID: "data", Heading: headingData}

	if len(d.Sources) > 0 {
		t := newTable("Format", "Path", "SHA-256", "#Read", "#Loaded", "#Duplicate", "#Rejected", "#Without consent")
		for _, src := range d.Sources {
			t.add(src.Format, src.Path, src.SHA256, fmtInt(src.RowsRead), fmtInt(src.RowsLoaded),
				fmtInt(src.RowsDuplicate), fmtInt(src.RowsRejected), fmtInt(src.RowsWithoutConsent))
		}
		s.Blocks = append(s.Blocks, block{Heading: "Sources", Text: "Each input file, its digest, and what became of its rows.", Table: t})

		f, err := rowsFigure(d.Sources)
		if err != nil {
			return s, err
		}
		s.Blocks = append(s.Blocks, block{Figure: f})
	}
	if len(d.Consent) > 0 {
		f, err := consentFigure(d.Consent)
		if err != nil {
			return s, err
		}
		s.Blocks = append(s.Blocks, block{Heading: "Consent ledger", Figure: f})
	}
	return s, nil
}

// rowsFigure stacks, per source, the rows loaded, duplicated, rejected and
// dropped for lack of consent.
func rowsFigure(src []Source) (*figure, error) {
	const id = "chart-rows"
	names := make([]string, len(src))
	var maxRows int64
	for i, s := range src {
		names[i] = s.Format + " " + shortPath(s.Path)
		maxRows = max(maxRows, s.RowsLoaded+s.RowsDuplicate+s.RowsRejected+s.RowsWithoutConsent)
	}
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(id, "Rows read per source, by outcome"),
		charts.WithXAxisOpts(xAxis("Source")),
		charts.WithYAxisOpts(yAxis("Rows (count)", widestCount(maxRows))),
		charts.WithLegendOpts(legend()),
		charts.WithGridOpts(grid("70", widestCount(maxRows))),
	)...)
	c.SetXAxis(names)
	t := newTable("Source", "#Loaded", "#Duplicate", "#Rejected", "#Without consent")
	series := []struct {
		name, colour string
		get          func(Source) int64
	}{
		{"loaded", "#59a14f", func(s Source) int64 { return s.RowsLoaded }},
		{"duplicate", "#edc948", func(s Source) int64 { return s.RowsDuplicate }},
		{"rejected", "#e15759", func(s Source) int64 { return s.RowsRejected }},
		{"without consent", "#bab0ac", func(s Source) int64 { return s.RowsWithoutConsent }},
	}
	for _, se := range series {
		data := make([]opts.BarData, len(src))
		for i, s := range src {
			data[i] = opts.BarData{Value: se.get(s)}
		}
		c.AddSeries(se.name, data, charts.WithBarChartOpts(opts.BarChart{Stack: "rows"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: se.colour}))
	}
	for i, s := range src {
		t.add(names[i], fmtInt(s.RowsLoaded), fmtInt(s.RowsDuplicate), fmtInt(s.RowsRejected), fmtInt(s.RowsWithoutConsent))
	}
	o, err := optionJSON(c, "axis", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: "Rows read per source, by outcome", Height: 320, Option: o, Table: t,
		Reading: "Each bar is one source file; the green part was loaded, the rest was set aside as duplicate, rejected or lacking consent."}, nil
}

// consentFigure groups, per purpose, the customers whose latest ledger
// record grants, refuses or revokes it.
func consentFigure(cs []ConsentSummary) (*figure, error) {
	const id = "chart-consent"
	names := make([]string, len(cs))
	var maxN int64
	for i, s := range cs {
		names[i] = s.Purpose
		maxN = max(maxN, s.Granted, s.Refused, s.Revoked)
	}
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(id, "Consent by purpose (latest record per customer)"),
		charts.WithXAxisOpts(xAxis("Purpose")),
		charts.WithYAxisOpts(yAxis("Customers (count)", widestCount(maxN))),
		charts.WithLegendOpts(legend()),
		charts.WithGridOpts(grid("70", widestCount(maxN))),
	)...)
	c.SetXAxis(names)
	t := newTable("Purpose", "#Granted", "#Refused", "#Revoked")
	series := []struct {
		name, colour string
		get          func(ConsentSummary) int64
	}{
		{"granted", "#59a14f", func(s ConsentSummary) int64 { return s.Granted }},
		{"refused", "#f28e2b", func(s ConsentSummary) int64 { return s.Refused }},
		{"revoked", "#e15759", func(s ConsentSummary) int64 { return s.Revoked }},
	}
	for _, se := range series {
		data := make([]opts.BarData, len(cs))
		for i, s := range cs {
			data[i] = opts.BarData{Value: se.get(s)}
		}
		c.AddSeries(se.name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: se.colour}))
	}
	for _, s := range cs {
		t.add(s.Purpose, fmtInt(s.Granted), fmtInt(s.Refused), fmtInt(s.Revoked))
	}
	o, err := optionJSON(c, "axis", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: "Consent by purpose", Height: 300, Option: o, Table: t,
		Reading: "For each purpose, how many customers' latest ledger record grants, refuses or revokes it; only granted customers are analysed."}, nil
}

// shortPath keeps the last two elements of a path for chart labels.
func shortPath(p string) string {
	n := 0
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			n++
			if n == 2 {
				return "…" + p[i:]
			}
		}
	}
	return p
}
