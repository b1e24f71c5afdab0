package suite

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable prints rep as plain-text tables: the machine line, one row
// per stage (its references on extra lines), graph step times, the
// cost-growth fit, skipped stages and stages not yet available.
func WriteTable(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "custnet bench, suite %s, %s\n", rep.Suite, rep.Started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(ew, "machine: %s\n", rep.Machine)
	if rep.Command != "" {
		fmt.Fprintf(ew, "command: %s\n", rep.Command)
	}
	if n := maxRuns(rep.Results); n > 1 {
		fmt.Fprintf(ew, "wall s: median of %d runs of each stage but ingest and DuckDB CTAS (run once); peak RSS: the largest run\n", n)
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tstage\trows\twall s\trows/s\tpeak RSS MB\treference\tref s\tratio\t")
	for _, r := range rep.Results {
		if r.Error != "" {
			s := ""
			if r.Seconds > 0 {
				s = secs(r.Seconds)
			}
			fmt.Fprintf(tw, "%s\t%s\t\t%s\t\t%s\tFAILED\t\t\t\n", r.Dataset, r.Stage, s, mb(r.PeakRSSMB))
			continue
		}
		ref, refS, ratio := "-", "", ""
		if len(r.Refs) > 0 {
			ref, refS, ratio = refCells(r.Refs[0])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Dataset, r.Stage, count(r.Rows), r.RowsName,
			secs(r.Seconds), count(int64(r.RowsPerSecond+0.5)), mb(r.PeakRSSMB), ref, refS, ratio)
		for _, x := range r.Refs[min(1, len(r.Refs)):] {
			ref, refS, ratio := refCells(x)
			fmt.Fprintf(tw, "\t\t\t\t\t\t%s\t%s\t%s\t\n", ref, refS, ratio)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(ew, "\nwall s: the stage's own work, timed in its child process; peak RSS: that process's rusage maxrss.")
	fmt.Fprintln(ew, "ratio: reference seconds / custnet seconds (above 1: custnet faster); a goal, when set, follows in brackets.")

	var notes []string
	for _, r := range rep.Results {
		switch {
		case r.Error != "":
			notes = append(notes, fmt.Sprintf("%s %s: FAILED: %s", r.Dataset, r.Stage, r.Error))
		case len(r.Steps) > 0 || r.Note != "":
			s := fmt.Sprintf("%s %s:", r.Dataset, r.Stage)
			if r.Note != "" {
				s += " " + r.Note + "."
			}
			if len(r.Steps) > 0 {
				var parts []string
				for _, st := range r.Steps {
					parts = append(parts, st.Name+" "+secs(st.Seconds))
				}
				s += " Steps (s): " + strings.Join(parts, ", ") + "."
			}
			notes = append(notes, s)
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(ew, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(ew, "  "+n)
		}
	}
	if len(rep.Growth) > 0 {
		fmt.Fprintln(ew, "\ncost growth (exponent k of cost ∝ rows^k, least squares on logs):")
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "stage\tfrom\tto\ttime k\tpeak RSS k\tgoal\t")
		for _, g := range rep.Growth {
			goal := ""
			if g.GoalMet != nil {
				goal = fmt.Sprintf("≤ %.2f: %s", g.Goal, yesNo(*g.GoalMet))
			}
			if g.Problems != "" {
				goal = g.Problems
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%s\t\n", g.Stage, count(g.From), count(g.To), g.Time, g.RSS, goal)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.EndToEnd) > 0 {
		fmt.Fprintf(ew, "\nend to end (%s, each stage in its own process):\n", strings.Join(endToEndStages, " + "))
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "dataset\tstages s\tprocesses s\tpeak RSS MB\tmissing\t")
		for _, t := range rep.EndToEnd {
			missing := "-"
			if !t.Complete() {
				missing = strings.Join(t.Missing, ", ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.Dataset, secs(t.Seconds), secs(t.ProcessSeconds), mb(t.PeakRSSMB), missing)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Goals) > 0 {
		fmt.Fprintln(ew, "\ngoals:")
		for _, g := range rep.Goals {
			verdict := "not judged"
			if g.Met != nil {
				verdict = yesNo(*g.Met)
			}
			ds := ""
			if g.Dataset != "" {
				ds = " [" + g.Dataset + "]"
			}
			fmt.Fprintf(ew, "  %s: %s%s: %s\n", verdict, g.Goal, ds, g.Measured)
		}
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(ew, "\nskipped:")
		for _, s := range rep.Skipped {
			fmt.Fprintf(ew, "  %s %s: %s\n", s.Dataset, s.Stage, s.Reason)
		}
	}
	if len(rep.Pending) > 0 {
		fmt.Fprintln(ew, "\nnot yet available:")
		for _, p := range rep.Pending {
			s := fmt.Sprintf("  %s (%s)", p.Stage, p.API)
			var refs []string
			for _, x := range p.Published {
				refs = append(refs, fmt.Sprintf("%s %s s", x.Name, secs(x.Seconds)))
			}
			if len(refs) > 0 {
				s += fmt.Sprintf(": will compare on %s with, published (not measured here; %s): %s",
					p.Dataset, p.Published[0].Source, strings.Join(refs, "; "))
			}
			fmt.Fprintln(ew, s)
		}
	}
	fmt.Fprintf(ew, "\ntotal %s s\n", secs(rep.Seconds))
	return ew.err
}

func refCells(x Reference) (name, sec, ratio string) {
	name = x.Name
	if x.Kind == "published" {
		name += " (published)"
	}
	sec = secs(x.Seconds)
	if x.Ratio > 0 {
		ratio = strconv.FormatFloat(x.Ratio, 'f', 2, 64)
		if x.Goal > 0 {
			ratio += fmt.Sprintf(" [≥ %.2f: %s]", x.Goal, yesNo(x.Ratio >= x.Goal))
		}
	}
	return name, sec, ratio
}

func yesNo(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

// secs prints seconds with three significant digits, at least two decimals below 10.
func secs(s float64) string {
	switch {
	case s < 0.01 && s > 0:
		return strconv.FormatFloat(s, 'f', 4, 64)
	case s < 10:
		return strconv.FormatFloat(s, 'f', 2, 64)
	case s < 100:
		return strconv.FormatFloat(s, 'f', 1, 64)
	}
	return strconv.FormatFloat(s, 'f', 0, 64)
}

func mb(x float64) string {
	if x <= 0 {
		return "-"
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

// count writes n with thousands separators: 1234567 → 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// maxRuns returns the largest number of runs of one stage in rs.
func maxRuns(rs []Result) int {
	n := 1
	for _, r := range rs {
		n = max(n, len(r.Runs))
	}
	return n
}
