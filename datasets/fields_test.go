package datasets

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func TestParseTimeAgreesWithTimePackage(t *testing.T) {
	for _, c := range []struct{ in, layout string }{
		{"2024-05-01T12:00:00Z", time.RFC3339},
		{"2024-05-01T12:00:00.123456Z", time.RFC3339Nano},
		{"2024-05-01T12:00:00.5+05:30", time.RFC3339Nano},
		{"2024-05-01T12:00:00-07:00", time.RFC3339},
		{"2024-05-01 12:00:00", time.DateTime},
		{"2014-01-21T20:26:05.383", "2006-01-02T15:04:05.000"},
		{"2024-02-29", time.DateOnly},
		{"1970-01-01", time.DateOnly},
		{"2000-03-01T00:00", "2006-01-02T15:04"},
	} {
		t.Run(c.in+" parses as the time package does", func(t *testing.T) {
			want, err := time.Parse(c.layout, c.in)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := parseTimeText(c.in)
			if !ok || got != want.UnixMicro() {
				t.Errorf("got %d, %v; want %d", got, ok, want.UnixMicro())
			}
		})
	}
	for _, in := range []string{"2023-02-29", "2024-13-01", "2024-00-10", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01X12:00:00", "2024/05/01", "12:00", "1e9", "", "2024-05-01T12:00:00+5", "0x10"} {
		t.Run(strconv.Quote(in)+" is refused", func(t *testing.T) {
			if got, ok := parseTimeText(in); ok {
				t.Errorf("parsed as %d", got)
			}
		})
	}
	t.Run("Unix seconds with a fraction keep microseconds", func(t *testing.T) {
		if got, ok := parseTimeText("1714564800.25"); !ok || got != 1714564800_250000 {
			t.Errorf("got %d", got)
		}
	})
	t.Run("random instants round-trip through RFC 3339", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 20_000 {
			us := r.Int64N(7_000_000_000_000_000) - 1_000_000_000_000_000 // 1938 to 2191
			tm := time.UnixMicro(us).UTC()
			for _, s := range []string{tm.Format(time.RFC3339Nano), tm.Format("2006-01-02 15:04:05.000000"), tm.In(time.FixedZone("x", -9000)).Format(time.RFC3339Nano)} {
				got, ok := parseTimeText(s)
				if !ok || got != us {
					t.Fatalf("%s: got %d, %v; want %d", s, got, ok, us)
				}
			}
		}
	})
	t.Run("YYYYMMDD dates agree with the time package", func(t *testing.T) {
		for d := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2030; d = d.AddDate(0, 0, 1) {
			got, ok := parseDateCompact(d.Format("20060102"))
			if !ok || got != d.UnixMicro() {
				t.Fatalf("%s: got %d", d.Format("20060102"), got)
			}
		}
	})
}

func TestClockRefusesAbsurdTimes(t *testing.T) {
	c := newClock()
	for _, c2 := range []struct {
		in, reason string
	}{
		{"1969-12-31T23:59:59Z", `time "1969-12-31T23:59:59Z" is before 1970`},
		{time.Now().Add(25 * time.Hour).UTC().Format(time.RFC3339), "is more than a day in the future"},
		{"soon", `time "soon" is not a date, an ISO 8601 time or Unix seconds`},
	} {
		t.Run(c2.in+" is refused", func(t *testing.T) {
			_, r := c.parseTime(c2.in)
			if r == "" || !contains(r, c2.reason) {
				t.Errorf("reason %q, want %q", r, c2.reason)
			}
		})
	}
	t.Run("a time within the next day is accepted", func(t *testing.T) {
		if _, r := c.parseTime(time.Now().Add(23 * time.Hour).UTC().Format(time.RFC3339)); r != "" {
			t.Error(r)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestRawTextStaysWithinTheLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"invalid bytes at the cut", append([]byte(string(make([]byte, RawLimit-1))), 0xff, 0xfe, 0xfd)},
		{"a rune split by the cut", append(make([]byte, RawLimit-1), "é"...)},
		{"all invalid", []byte(string(make([]byte, 0)) + string([]byte{0xff}))},
	} {
		t.Run(c.name+" gives valid UTF-8 of at most RawLimit bytes", func(t *testing.T) {
			s := rawText(c.in)
			if len(s) > RawLimit || !utf8Valid(s) {
				t.Errorf("len %d", len(s))
			}
		})
	}
}

func TestEventIDIntoMatchesEventID(t *testing.T) {
	var buf []byte
	for i, e := range []Event{
		{},
		{Customer: "c1", Action: "view"},
		{Customer: "c1", Action: "view", At: -5, HasAt: true, Value: -0.0, HasValue: true, Channel: "web", Item: "i", Peer: "p"},
		{Customer: "ü", Action: "rate", Value: 4.5, HasValue: true},
	} {
		for _, src := range []string{"events", "movielens-100k", ""} {
			if got, want := eventIDInto(&buf, src, &e), EventID(src, &e); got != want {
				t.Errorf("event %d from %q: eventIDInto %x, EventID %x", i, src, got, want)
			}
		}
	}
}
