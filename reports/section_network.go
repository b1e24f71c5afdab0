package reports

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

const (
	// maxCategories is how many communities get their own colour and legend
	// entry; the rest share a grey "other communities" category.
	maxCategories = 19
	// labelledNodes is how many of the most central nodes carry a label.
	labelledNodes = 10
	// maxNodeRows and maxCommunityRows cap the fallback and community tables.
	maxNodeRows      = 100
	maxCommunityRows = 200
	maxDegreeRows    = 1000
)

// graphNode and graphLink are the ECharts graph series data; go-echarts'
// opts.GraphNode has no per-node label and drops zero coordinates.
type graphNode struct {
	Name       string          `json:"name"`
	X          float64         `json:"x"`
	Y          float64         `json:"y"`
	Value      float64         `json:"value"`
	Category   int             `json:"category"`
	SymbolSize float64         `json:"symbolSize"`
	Label      *graphNodeLabel `json:"label,omitempty"`
}

type graphNodeLabel struct {
	Show bool `json:"show"`
}

type graphLink struct {
	Source int32 `json:"source"`
	Target int32 `json:"target"`
}

func networkSection(r *Report, opt Options) (section, error) {
	ns := r.Network
	if ns == nil || (len(ns.Nodes) == 0 && len(ns.Communities) == 0 && len(ns.Degrees) == 0) {
		return missing("network", headingNetwork, "graph"), nil
	}
	s := section{ID: "network", Heading: headingNetwork}
	if len(ns.Nodes) > 0 {
		f, err := graphFigure(ns, opt)
		if err != nil {
			return s, err
		}
		s.Blocks = append(s.Blocks, block{Figure: f})
	}
	if len(ns.Communities) > 0 {
		s.Blocks = append(s.Blocks, block{Heading: "Communities", Table: communityTable(ns.Communities, opt)})
	}
	if len(ns.Degrees) > 0 {
		f, err := degreeFigure(ns.Degrees)
		if err != nil {
			return s, err
		}
		s.Blocks = append(s.Blocks, block{Heading: "Degree distribution", Figure: f})
	}
	return s, nil
}

func graphFigure(ns *NetworkSection, opt Options) (*figure, error) {
	const id = "chart-network"
	v := selectNetwork(ns, opt.MaxNodes, opt.MaxEdges)
	v.totalNodes = max(v.totalNodes, ns.GraphNodes)
	v.totalEdges = max(v.totalEdges, ns.GraphEdges)

	// Communities by kept size, largest first; the first maxCategories get
	// their own category.
	size := map[int]int{}
	for _, n := range v.nodes {
		size[n.Community]++
	}
	comms := make([]int, 0, len(size))
	for c := range size {
		comms = append(comms, c)
	}
	slices.SortFunc(comms, func(a, b int) int {
		if c := cmp.Compare(size[b], size[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	catOf := map[int]int{}
	var cats []*opts.GraphCategory
	var names []string
	for i, c := range comms {
		if i == maxCategories {
			break
		}
		catOf[c] = i
		name := "community " + strconv.Itoa(c)
		cats = append(cats, &opts.GraphCategory{Name: name, ItemStyle: &opts.ItemStyle{Color: palette[i%len(palette)]}})
		names = append(names, name)
	}
	if len(comms) > maxCategories {
		other := len(cats)
		for _, c := range comms[maxCategories:] {
			catOf[c] = other
		}
		cats = append(cats, &opts.GraphCategory{Name: "other communities", ItemStyle: &opts.ItemStyle{Color: "#c8c8c8"}})
		names = append(names, "other communities")
	}

	group := make([]int, len(v.nodes))
	maxPR := 0.0
	for i, n := range v.nodes {
		group[i] = catOf[n.Community]
		maxPR = max(maxPR, n.PageRank)
	}
	xs, ys := layoutNetwork(group, len(cats), v.links)

	nodes := make([]graphNode, len(v.nodes))
	t := newTable("#Rank", "Customer", "#Community", "#PageRank")
	for i, n := range v.nodes {
		size := 3.0
		if maxPR > 0 && n.PageRank > 0 {
			size = 2.5 + 10*math.Sqrt(n.PageRank/maxPR)
		}
		nodes[i] = graphNode{Name: nodeName(n, opt), X: xs[i], Y: ys[i], Value: round(n.PageRank, 6),
			Category: group[i], SymbolSize: round(size, 1)}
		if i < labelledNodes {
			nodes[i].Label = &graphNodeLabel{Show: true}
		}
		if i < maxNodeRows {
			t.add(strconv.Itoa(i+1), nodes[i].Name, strconv.Itoa(n.Community), fmtFloat(n.PageRank, 6))
		}
	}
	if len(v.nodes) > maxNodeRows {
		t.Note = "Showing the " + strconv.Itoa(maxNodeRows) + " most central of " + fmtInt(len(v.nodes)) + " customers drawn."
	}
	links := make([]graphLink, len(v.links))
	for i, l := range v.links {
		links[i] = graphLink{l[0], l[1]}
	}

	c := charts.NewGraph()
	c.SetGlobalOptions(append(baseOpts(id, "Customer network: communities and central customers"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0", Data: names}),
	)...)
	c.AddSeries("customers", nil, nil,
		charts.WithGraphChartOpts(opts.GraphChart{Layout: "none", Roam: opts.Bool(true), Categories: cats}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: "source", Opacity: opts.Float(0.25), Width: 0.6}),
		charts.WithLabelOpts(opts.Label{Position: "right", FontSize: 11, Color: "#1d2630"}),
		charts.WithLabelLayoutOpts(opts.LabelLayout{HideOverlap: opts.Bool(true)}),
	)
	c.MultiSeries[0].Data = nodes
	c.MultiSeries[0].Links = links
	o, err := optionJSON(c, "item", map[string]any{})
	if err != nil {
		return nil, err
	}

	var b strings.Builder
	b.WriteString("Each dot is a customer, coloured by community and sized by PageRank; lines are ties between them, and the ")
	b.WriteString(strconv.Itoa(min(labelledNodes, len(nodes))))
	b.WriteString(" most central customers are labelled. ")
	b.WriteString("Showing " + fmtInt(len(v.nodes)) + " of " + fmtInt(v.totalNodes) + " customers (highest PageRank) and " +
		fmtInt(len(v.links)) + " of " + fmtInt(v.totalEdges) + " ties; scroll to zoom, drag to pan.")
	return &figure{ID: id, Title: "Customer network", Height: 640, Option: o, Table: t, Reading: b.String()}, nil
}

// nodeName is the label shown for a node: its label or ID with ShowIDs, its
// pseudonym otherwise.
func nodeName(n Node, opt Options) string {
	if opt.ShowIDs && n.Label != "" {
		return n.Label
	}
	return opt.customerID(n.ID)
}

func communityTable(cs []Community, opt Options) *table {
	sorted := append([]Community(nil), cs...)
	slices.SortStableFunc(sorted, func(a, b Community) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	t := newTable("#Community", "#Size", "#Density", "#Modularity contribution", "Top customers")
	t.Sortable = true
	for i, c := range sorted {
		if i == maxCommunityRows {
			t.Note = "Showing the " + strconv.Itoa(maxCommunityRows) + " largest of " + fmtInt(len(sorted)) + " communities."
			break
		}
		top := make([]string, 0, 5)
		for j, id := range c.TopCustomers {
			if j == 5 {
				break
			}
			top = append(top, opt.customerID(id))
		}
		t.add(strconv.Itoa(c.ID), fmtInt(c.Size), fmtFloat(c.Density, 4), fmtFloat(c.Modularity, 4), strings.Join(top, ", "))
	}
	return t
}

// degreeFigure draws the degree distribution as a scatter on log–log axes.
func degreeFigure(ds []DegreeCount) (*figure, error) {
	const id = "chart-degrees"
	sorted := append([]DegreeCount(nil), ds...)
	slices.SortStableFunc(sorted, func(a, b DegreeCount) int { return cmp.Compare(a.Degree, b.Degree) })
	var data []opts.ScatterData
	var maxCount int64
	t := newTable("#Degree", "#Customers")
	for i, d := range sorted {
		maxCount = max(maxCount, d.Count)
		if d.Degree > 0 && d.Count > 0 {
			data = append(data, opts.ScatterData{Value: []int64{int64(d.Degree), d.Count}})
		}
		if i < maxDegreeRows {
			t.add(fmtInt(d.Degree), fmtInt(d.Count))
		}
	}
	if len(sorted) > maxDegreeRows {
		t.Note = "Showing the " + strconv.Itoa(maxDegreeRows) + " lowest of " + fmtInt(len(sorted)) + " degrees."
	}
	c := charts.NewScatter()
	c.SetGlobalOptions(append(baseOpts(id, "Degree distribution (log–log)"),
		charts.WithXAxisOpts(opts.XAxis{Type: "log", Name: "Degree (ties per customer, log scale)", NameLocation: "middle", NameGap: 30}),
		charts.WithYAxisOpts(opts.YAxis{Type: "log", Name: "Customers (count, log scale)", NameLocation: "middle", NameGap: yNameGap(widestCount(maxCount))}),
		charts.WithGridOpts(grid("50", widestCount(maxCount))),
		noLegend(),
	)...)
	c.AddSeries("customers", data, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#4e79a7", Opacity: opts.Float(0.8)}))
	o, err := optionJSON(c, "item", nil)
	if err != nil {
		return nil, err
	}
	return &figure{ID: id, Title: "Degree distribution", Height: 360, Option: o, Table: t,
		Reading: "Each dot shows how many customers have a given number of ties; a roughly straight falling line on these log–log axes means a few customers hold many ties."}, nil
}
