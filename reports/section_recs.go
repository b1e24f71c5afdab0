package reports

import (
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

func recommendationsSection(r *Report, opt Options) (section, error) {
	rs := r.Recommendations
	if rs == nil || (len(rs.Models) == 0 && rs.Example == nil) {
		return missing("recommendations", headingRecs, "evaluate"), nil
	}
	s := section{ID: "recommendations", Heading: headingRecs}
	if len(rs.Models) > 0 {
		t := newTable("Model", "Kind", "#RMSE", "#MAE", "#NDCG@10", "#Precision@10", "#Coverage", "#Back-catalogue share")
		for _, m := range rs.Models {
			t.add(m.Name, kind(m), fmtFloat(m.RMSE, 4), fmtFloat(m.MAE, 4), fmtFloat(m.NDCG10, 4),
				fmtFloat(m.Precision10, 4), fmtPct(m.Coverage), fmtPct(m.BackCatalogueShare))
		}
		s.Blocks = append(s.Blocks, block{Heading: "Offline evaluation", Text: "Metrics on held-out data; baselines are the reference a model must beat. A dash means not measured.", Table: t})

		type metric struct {
			id, title, axis, reading string
			get                      func(ModelMetrics) float64
		}
		for _, m := range []metric{
			{"chart-rmse", "Rating error (RMSE, lower is better) per model", "RMSE (rating points)",
				"Lower bars predict ratings more accurately; grey bars are baselines, and a model without a bar was not measured.", func(m ModelMetrics) float64 { return m.RMSE }},
			{"chart-ndcg", "Ranking quality (NDCG@10, higher is better) per model", "NDCG@10 (0–1)",
				"Higher bars put the items a customer went on to choose nearer the top of their ten recommendations; grey bars are baselines.", func(m ModelMetrics) float64 { return m.NDCG10 }},
		} {
			f, err := metricFigure(rs.Models, m.id, m.title, m.axis, m.reading, m.get)
			if err != nil {
				return s, err
			}
			s.Blocks = append(s.Blocks, block{Figure: f})
		}
		f, err := coverageFigure(rs.Models)
		if err != nil {
			return s, err
		}
		s.Blocks = append(s.Blocks, block{Figure: f})
	}
	if ex := rs.Example; ex != nil {
		t := newTable("#Rank", "Item", "Title", "#Score", "Reason")
		for i, it := range ex.Items {
			t.add(strconv.Itoa(i+1), it.ItemID, it.Title, fmtFloat(it.Score, 3), it.Reason)
		}
		text := "Recommendations for customer " + opt.customerID(ex.CustomerID)
		if ex.Model != "" {
			text += " from model " + ex.Model
		}
		s.Blocks = append(s.Blocks, block{Heading: "An example customer", Text: text + ".", Table: t})
	}
	return s, nil
}

func kind(m ModelMetrics) string {
	if m.Baseline {
		return "baseline"
	}
	return "model"
}

// metricFigure draws one metric per model, baselines in grey.
func metricFigure(ms []ModelMetrics, id, title, axis, reading string, get func(ModelMetrics) float64) (*figure, error) {
	names := make([]string, len(ms))
	data := make([]opts.BarData, len(ms))
	t := newTable("Model", "Kind", "#Value")
	for i, m := range ms {
		names[i] = m.Name
		colour := modelColour
		if m.Baseline {
			colour = baselineColour
		}
		data[i] = opts.BarData{Value: valueOrDash(get(m)), ItemStyle: &opts.ItemStyle{Color: colour}}
		t.add(m.Name, kind(m), fmtFloat(get(m), 4))
	}
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(id, title),
		charts.WithXAxisOpts(opts.XAxis{Name: "Model", NameLocation: "middle", NameGap: 30, AxisLabel: &opts.AxisLabel{Interval: "0", HideOverlap: opts.Bool(false)}}),
		charts.WithYAxisOpts(yAxis(axis, "0.000")),
		charts.WithGridOpts(grid("45", "0.000")),
		noLegend(),
	)...)
	c.SetXAxis(names)
	c.AddSeries(title, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top"}))
	o, err := optionJSON(c, "axis", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: title, Height: 320, Option: o, Table: t, Reading: reading}, nil
}

// coverageFigure draws catalogue coverage and back-catalogue share, in
// percent, side by side per model.
func coverageFigure(ms []ModelMetrics) (*figure, error) {
	const id = "chart-coverage"
	names := make([]string, len(ms))
	cov := make([]opts.BarData, len(ms))
	back := make([]opts.BarData, len(ms))
	t := newTable("Model", "Kind", "#Coverage", "#Back-catalogue share")
	for i, m := range ms {
		names[i] = m.Name
		cov[i] = opts.BarData{Value: valueOrDash(m.Coverage * 100)}
		back[i] = opts.BarData{Value: valueOrDash(m.BackCatalogueShare * 100)}
		t.add(m.Name, kind(m), fmtPct(m.Coverage), fmtPct(m.BackCatalogueShare))
	}
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(id, "Catalogue coverage and back-catalogue share per model"),
		charts.WithXAxisOpts(opts.XAxis{Name: "Model", NameLocation: "middle", NameGap: 30, AxisLabel: &opts.AxisLabel{Interval: "0"}}),
		charts.WithYAxisOpts(opts.YAxis{Name: "Share (%)", NameLocation: "middle", NameGap: yNameGap("100"), Min: 0, Max: 100}),
		charts.WithLegendOpts(legend()),
		charts.WithGridOpts(grid("70", "100")),
	)...)
	c.SetXAxis(names)
	c.AddSeries("coverage", cov, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#4e79a7"}))
	c.AddSeries("back-catalogue share", back, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#f28e2b"}))
	o, err := optionJSON(c, "axis", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: "Catalogue coverage and back-catalogue share", Height: 340, Option: o, Table: t,
		Reading: "Coverage is the share of the catalogue a model ever recommends; back-catalogue share is the share of its recommendations outside the most popular fifth of items."}, nil
}
