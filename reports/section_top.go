package reports

import "strconv"

func topSection(r *Report, opt Options) (section, error) {
	if len(r.TopCustomers) == 0 {
		return missing("top", headingTop, "score"), nil
	}
	s := section{ID: "top", Heading: headingTop}
	s.Blocks = append(s.Blocks, block{Text: "Click a column heading to sort a table."})
	for _, l := range r.TopCustomers {
		t := newTable("#Rank", "Customer", "#Score", "Explanation")
		t.Sortable = true
		for i, row := range l.Rows {
			t.add(strconv.Itoa(i+1), opt.customerID(row.CustomerID), fmtFloat(row.Score, 1), row.Explanation)
		}
		if len(l.Rows) == 0 {
			t.Note = "No customers scored."
		}
		s.Blocks = append(s.Blocks, block{Heading: l.Strategy, Table: t})
	}
	return s, nil
}
