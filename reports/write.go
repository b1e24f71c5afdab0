package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/custnet/custnet/internal/atomicfile"
)

// Section headings, in page order. Tests and end-to-end checks look for them.
const (
	headingData       = "Data and consent"
	headingStrategies = "The five strategies"
	headingNetwork    = "The customer network"
	headingRecs       = "Recommendations"
	headingTop        = "Top customers per strategy"
)

// page is the view model of the report template.
type page struct {
	Title    string // the <title>, starting with "custnet report"
	Heading  string
	Meta     []string
	Sections []section
	Figures  []*figure // every chart in the page, in order, for the init script
}

// section is one h2 section; Missing replaces its content when set.
type section struct {
	ID      string
	Heading string
	Missing string
	Blocks  []block
}

// block is one piece of a section: an optional h3, then a paragraph, a
// list, a figure or a table.
type block struct {
	Heading string
	Text    string
	List    []string
	Figure  *figure
	Table   *table
	Grid    []*figure // small multiples laid out side by side
}

// Write renders r as one self-contained HTML page to w. It returns
// [ErrNoPseudonymKey] when identifiers must be pseudonymised and no key is
// set. The output depends only on r and opt.
func Write(ctx context.Context, w io.Writer, r *Report, opt Options) error {
	opt, err := opt.withDefaults(true)
	if err != nil {
		return err
	}
	if r == nil {
		r = &Report{}
	}
	p, err := buildPage(ctx, r, opt)
	if err != nil {
		return fmt.Errorf("build report: %w", err)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, newReportData(p)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteFile renders r to path. It writes a temporary file in the same
// directory and renames it over path, so readers never see a half-written
// report.
func WriteFile(ctx context.Context, path string, r *Report, opt Options) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(ctx, w, r, opt) })
}

func buildPage(ctx context.Context, r *Report, opt Options) (*page, error) {
	p := &page{Title: "custnet report", Heading: "custnet report"}
	if r.Title != "" {
		p.Title += " — " + r.Title
		p.Heading = r.Title
	}
	if !r.GeneratedAt.IsZero() {
		p.Meta = append(p.Meta, "Generated "+fmtTime(r.GeneratedAt))
	}
	if !r.AsOf.IsZero() {
		p.Meta = append(p.Meta, "Results as of "+fmtTime(r.AsOf))
	}
	if !r.Window.From.IsZero() || !r.Window.To.IsZero() {
		p.Meta = append(p.Meta, "Events from "+fmtTime(r.Window.From)+" to "+fmtTime(r.Window.To))
	}
	if opt.ShowIDs {
		p.Meta = append(p.Meta, "Customer identifiers are shown as stored.")
	} else {
		p.Meta = append(p.Meta, "Customer identifiers are pseudonymised with a keyed hash.")
	}

	builders := []func(*Report, Options) (section, error){
		dataSection, strategiesSection, networkSection, recommendationsSection, topSection,
	}
	for _, b := range builders {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := b(r, opt)
		if err != nil {
			return nil, err
		}
		p.Sections = append(p.Sections, s)
	}
	for _, s := range p.Sections {
		for _, b := range s.Blocks {
			if b.Figure != nil {
				p.Figures = append(p.Figures, b.Figure)
			}
			p.Figures = append(p.Figures, b.Grid...)
		}
	}
	return p, nil
}

func missing(id, heading, command string) section {
	return section{ID: id, Heading: heading, Missing: "Not computed yet: run custnet " + command + "."}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
