package datasets

import (
	"path/filepath"
	"testing"
)

func TestReadMovieLens1MFixture(t *testing.T) {
	p := filepath.Join("testdata", "movielens-1m", "ratings.dat")
	if f, err := Detect(p); f != "movielens-1m" || err != nil {
		t.Errorf("Detect = %q, %v", f, err)
	}
	s, sum := mustRead(t, "movielens-1m", filepath.Dir(p))
	t.Run("reads four ratings and rejects the half star", func(t *testing.T) {
		if len(s.events) != 4 || len(s.rejects) != 1 || s.rejects[0].Line != 4 || s.rejects[0].Customer != "2" {
			t.Fatalf("events %d, rejects %+v", len(s.events), s.rejects)
		}
		// ratings.dat line 1: 1::1193::5::978300760 (2000-12-31T22:12:40Z)
		want := Event{Customer: "1", Item: "1193", Action: "rate", Channel: "web", Value: 5, HasValue: true, At: 978300760 * 1_000_000, HasAt: true}
		want.ID = EventID("movielens-1m", &want)
		if s.events[0] != want {
			t.Errorf("first event %+v, want %+v", s.events[0], want)
		}
	})
	t.Run("converts Latin-1 movie titles", func(t *testing.T) {
		if len(s.items) != 3 || s.items[0].Title != "Misérables, Les (1995)" || s.items[0].Attrs["genres"] != "Drama|Musical" {
			t.Errorf("items %+v", s.items)
		}
	})
	t.Run("reads users with their codes", func(t *testing.T) {
		if len(s.customers) != 3 {
			t.Fatalf("customers %+v", s.customers)
		}
		if c := s.customers[1]; c.ID != "2" || c.Attrs["gender"] != "M" || c.Attrs["age"] != "56" || c.Attrs["occupation"] != "16" || c.Attrs["zip"] != "70072" {
			t.Errorf("user 2 = %+v", c)
		}
	})
	if sum.Records != 5 || len(sum.Files) != 3 {
		t.Errorf("summary %+v", sum)
	}
}

func TestReadStackExchangeFixture(t *testing.T) {
	p := filepath.Join("testdata", "stackexchange", "Posts.xml")
	s, sum := mustRead(t, "auto", p)
	at := func(s string) int64 {
		v, ok := parseTimeText(s)
		if !ok {
			t.Fatal(s)
		}
		return v
	}
	// Worked out row by row from the fixture (see testdata/README.md).
	want := []Event{
		{Customer: "20", Action: "answer", Item: "q1", Peer: "10", Value: 4, HasValue: true, At: at("2020-01-02T10:00:00Z"), HasAt: true},
		{Customer: "10", Action: "contribute", Item: "q1", Value: 7, HasValue: true, At: at("2020-01-01T09:00:00Z"), HasAt: true},
		{Customer: "10", Action: "vote", Item: "a3", Peer: "20", Value: 1, HasValue: true, At: at("2020-01-02T10:00:00Z"), HasAt: true},
		{Customer: "10", Action: "answer", Item: "q2", Value: 0, HasValue: true, At: at("2020-01-03T10:00:00Z"), HasAt: true},
		{Customer: "30", Action: "answer", Item: "q50", Value: 2, HasValue: true, At: at("2020-01-03T11:00:00Z"), HasAt: true},
		{Customer: "30", Action: "comment", Item: "q1", Peer: "10", At: at("2020-01-01T12:00:00Z"), HasAt: true},
		{Customer: "10", Action: "comment", Item: "a3", Peer: "20", At: at("2020-01-02T12:00:00Z"), HasAt: true},
	}
	for i := range want {
		want[i].ID = EventID("stackexchange", &want[i])
	}
	checkEvents(t, s.events, want)
	if len(s.rejects) != 2 || s.rejects[0].Line != 5 || filepath.Base(s.rejects[0].File) != "Posts.xml" ||
		s.rejects[1].Line != 5 || filepath.Base(s.rejects[1].File) != "Comments.xml" {
		t.Errorf("rejects %+v, want Posts.xml:5 and Comments.xml:5", s.rejects)
	}
	if sum.Records != 9 || len(sum.Files) != 2 || sum.Scale != nil {
		t.Errorf("summary %+v", sum)
	}
}
