package reports

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custnet/custnet/internal/atomicfile"
)

// CustomerExport is everything custnet keeps and infers about one customer.
// The engine writes it as portable JSON and [WriteCustomer] renders it as a
// page for the customer.
type CustomerExport struct {
	CustomerID string    `json:"customer_id"`
	ExportedAt time.Time `json:"exported_at"`
	// Attributes are the customer's stored attributes by name.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Consents are the customer's consent ledger records, oldest first.
	Consents []ConsentRecord `json:"consents"`
	// EventCount is the number of stored events; Events may hold fewer.
	EventCount int64   `json:"event_count"`
	Events     []Event `json:"events"`
	// Scores are the strategy scores with their explanations; nil when the
	// customer has not been scored.
	Scores []StrategyScore `json:"scores,omitempty"`
	// Community is nil when the customer is in no computed community.
	Community *CommunityMembership `json:"community,omitempty"`
	// OutsideNetwork is true when the customer or co-activity graph was
	// computed and the customer is a node of none computed (no link to a
	// customer, no interaction with an item), so has no community.
	OutsideNetwork  bool             `json:"outside_network,omitempty"`
	Recommendations []Recommendation `json:"recommendations,omitempty"`
}

// ConsentRecord is one consent ledger record.
type ConsentRecord struct {
	Purpose    string    `json:"purpose"` // "analytics" or "personalization"
	Status     string    `json:"status"`  // "granted", "refused" or "revoked"
	RecordedAt time.Time `json:"recorded_at"`
	Source     string    `json:"source,omitempty"` // where the record came from
}

// Event is one stored customer event.
type Event struct {
	At     time.Time `json:"at"`
	Type   string    `json:"type"` // e.g. "rating", "purchase", "trust"
	ItemID string    `json:"item_id,omitempty"`
	Value  float64   `json:"value"`
	// Channel and PeerID complete the stored row: where it happened and
	// the other customer of a connect or collaborate action.
	Channel string `json:"channel,omitempty"`
	PeerID  string `json:"peer_id,omitempty"`
}

// StrategyScore is one strategy score on 0–100 and why it is what it is.
type StrategyScore struct {
	Strategy    string  `json:"strategy"`
	Score       float64 `json:"score"`
	Explanation string  `json:"explanation"`
}

// CommunityMembership places the customer in the network.
type CommunityMembership struct {
	ID       int     `json:"id"`
	Size     int     `json:"size"`
	PageRank float64 `json:"pagerank"`
}

// WriteCustomer renders c as a small static HTML page (no scripts) to w. It
// is the customer's own data, so the ID is shown as it is: ShowIDs and
// PseudonymKey do not apply; Options.MaxEvents caps the event table.
func WriteCustomer(ctx context.Context, w io.Writer, c *CustomerExport, opt Options) error {
	opt, err := opt.withDefaults(false)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("write customer page: no export")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := customerPage(c, opt)
	var buf bytes.Buffer
	if err := customerTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("render customer page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write customer page: %w", err)
	}
	return nil
}

// WriteCustomerFile renders c to path atomically, like [WriteFile].
func WriteCustomerFile(ctx context.Context, path string, c *CustomerExport, opt Options) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteCustomer(ctx, w, c, opt) })
}

type customerView struct {
	Title    string
	ID       string
	Meta     []string
	Sections []section
	CSS      template.CSS
}

func customerPage(c *CustomerExport, opt Options) customerView {
	v := customerView{
		Title: "custnet customer export — " + c.CustomerID,
		ID:    c.CustomerID,
		CSS:   template.CSS(strings.TrimSpace(pageCSS)),
	}
	if !c.ExportedAt.IsZero() {
		v.Meta = append(v.Meta, "Exported "+fmtTime(c.ExportedAt))
	}
	v.Meta = append(v.Meta, "This page lists everything custnet stores and infers about you.")
	// The ledger is oldest first, so the last record per purpose applies.
	revoked := map[string]time.Time{}
	for _, r := range c.Consents {
		if r.Status == "revoked" {
			revoked[r.Purpose] = r.RecordedAt
		} else {
			delete(revoked, r.Purpose)
		}
	}
	erased := func(purpose, otherwise string) string {
		at, ok := revoked[purpose]
		if !ok {
			return otherwise
		}
		return "Erased when you revoked your " + purpose + " consent (" + fmtTime(at) + ")."
	}
	if at, ok := revoked["analytics"]; ok {
		v.Meta = append(v.Meta, "You revoked your analytics consent on "+fmtTime(at)+
			": your events, scores, network metrics and recommendations were erased then, and custnet stores no new events of yours.")
	}

	sec := func(id, heading, empty string, t *table, text string) {
		s := section{ID: id, Heading: heading}
		if t == nil || len(t.Rows) == 0 {
			s.Missing = empty
		} else {
			s.Blocks = []block{{Text: text, Table: t}}
		}
		v.Sections = append(v.Sections, s)
	}

	keys := make([]string, 0, len(c.Attributes))
	for k := range c.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	at := newTable("Attribute", "Value")
	for _, k := range keys {
		at.add(k, c.Attributes[k])
	}
	sec("attributes", "Attributes", "No attributes are stored.", at, "")

	ct := newTable("Recorded", "Purpose", "Status", "Source")
	for _, r := range c.Consents {
		ct.add(fmtTime(r.RecordedAt), r.Purpose, r.Status, r.Source)
	}
	sec("consents", "Consents", "No consent records are stored.", ct, "Your consent records, oldest first; the latest record per purpose applies.")

	et := newTable("Time", "Type", "Item", "#Value")
	for i, e := range c.Events {
		if i == opt.MaxEvents {
			break
		}
		et.add(fmtTime(e.At), e.Type, e.ItemID, strconv.FormatFloat(e.Value, 'g', -1, 64))
	}
	total := max(c.EventCount, int64(len(c.Events)))
	sec("events", "Events", erased("analytics", "No events are stored."), et,
		"Showing "+fmtInt(len(et.Rows))+" of "+fmtInt(total)+" events; the portable JSON export holds them all.")

	var st *table
	if c.Scores != nil {
		st = newTable("Strategy", "#Score (0–100)", "Why")
		for _, s := range c.Scores {
			st.add(s.Strategy, fmtFloat(s.Score, 1), s.Explanation)
		}
	}
	sec("scores", "Scores", erased("analytics", "Not computed yet: run custnet score."), st, "")

	var cm *table
	if c.Community != nil {
		cm = newTable("#Community", "#Members", "#PageRank")
		cm.add(strconv.Itoa(c.Community.ID), fmtInt(c.Community.Size), fmtFloat(c.Community.PageRank, 6))
	}
	noCommunity := "Not computed yet: run custnet graph."
	if c.OutsideNetwork {
		noCommunity = "You are in no community: the network was computed and has no link or shared item of yours."
	}
	sec("community", "Community", erased("analytics", noCommunity), cm, "")

	var rt *table
	if len(c.Recommendations) > 0 {
		rt = newTable("#Rank", "Item", "Title", "#Score", "Reason")
		for i, r := range c.Recommendations {
			rt.add(strconv.Itoa(i+1), r.ItemID, r.Title, fmtFloat(r.Score, 3), r.Reason)
		}
	}
	noRecs := erased("analytics", erased("personalization", "No recommendations are stored."))
	sec("recommendations", "Recommendations", noRecs, rt, "")
	return v
}

const customerHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<header>
<h1>Your data: customer {{.ID}}</h1>
{{range .Meta}}<p class="meta">{{.}}</p>
{{end}}</header>
{{range .Sections}}<section id="{{.ID}}">
<h2>{{.Heading}}</h2>
{{if .Missing}}<p class="missing">{{.Missing}}</p>
{{end}}{{range .Blocks}}{{if .Text}}<p>{{.Text}}</p>
{{end}}{{with .Table}}{{template "table" .}}{{end}}{{end}}</section>
{{end}}</main>
</body>
</html>
`

var customerTemplate = template.Must(template.Must(template.New("customer").Parse(customerHTML)).Parse(tableHTML))
