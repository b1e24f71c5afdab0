package datasets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/internal/dstest"
)

// The expected counts below are the published ones (the datasets' own
// READMEs and /work/shared/datasets/README.md, checked there with awk and
// Python), or are recomputed here from the raw files with code that shares
// nothing with the readers.

func customerOf(e *Event) []string { return []string{e.Customer} }
func itemOf(e *Event) []string     { return []string{e.Item} }
func nodesOf(e *Event) []string    { return []string{e.Customer, e.Peer} }

// fileSHA256 hashes a whole file in one go, independently of the readers'
// streaming hash.
func fileSHA256(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), int64(len(b))
}

// rawLines returns the lines of a file with line endings removed, without
// blank lines.
func rawLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func distinctStrings(xs []string) int {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return len(m)
}

func TestReadMovieLens100k(t *testing.T) {
	p := dstest.Path(t, "movielens-100k", "u.data")
	s, sum := mustRead(t, "movielens-100k", p)
	t.Run("reads every rating as a rate event", func(t *testing.T) {
		if len(s.events) != 100_000 || s.count("rate") != 100_000 || len(s.rejects) != 0 {
			t.Fatalf("events %d (rate %d), rejects %d; want 100000, 0", len(s.events), s.count("rate"), len(s.rejects))
		}
		if n := s.distinct(customerOf); n != 943 {
			t.Errorf("distinct customers %d, want 943", n)
		}
		if n := s.distinct(itemOf); n != 1682 {
			t.Errorf("distinct items %d, want 1682", n)
		}
		n := 0
		for _, e := range s.events {
			if e.Customer == "1" {
				n++
			}
		}
		if n != 272 {
			t.Errorf("user 1 has %d events, want 272", n)
		}
		if sum.Records != 100_000 {
			t.Errorf("records %d, want 100000", sum.Records)
		}
	})
	t.Run("maps the first line field by field", func(t *testing.T) {
		// u.data line 1: "196\t242\t3\t881250949"
		e := s.events[0]
		want := Event{Customer: "196", Item: "242", Action: "rate", Channel: "web", Value: 3, HasValue: true, At: 881250949 * 1_000_000, HasAt: true}
		want.ID = EventID("movielens-100k", &want)
		if e != want {
			t.Errorf("first event %+v, want %+v", e, want)
		}
		if got := time.UnixMicro(e.At).UTC().Format(time.RFC3339); got != "1997-12-04T15:55:49Z" {
			t.Errorf("first event at %s, want 1997-12-04T15:55:49Z", got)
		}
	})
	t.Run("reads movies and users as attribute rows", func(t *testing.T) {
		if len(s.items) != 1682 || len(s.customers) != 943 {
			t.Fatalf("items %d, customers %d; want 1682, 943", len(s.items), len(s.customers))
		}
		toy := s.items[0]
		if toy.ID != "1" || toy.Title != "Toy Story (1995)" || toy.Attrs["genres"] != "Animation|Children's|Comedy" || toy.Attrs["release_date"] != "01-Jan-1995" {
			t.Errorf("item 1 = %+v", toy)
		}
		// u.item is Latin-1: line 543 holds "Mis\xe9rables".
		if got := s.items[542]; got.ID != "543" || got.Title != "Misérables, Les (1995)" {
			t.Errorf("item 543 = %+v, want the title converted from Latin-1", got)
		}
		u1 := s.customers[0]
		want := map[string]string{"age": "24", "gender": "M", "occupation": "technician", "zip": "85711"}
		if u1.ID != "1" || len(u1.Attrs) != len(want) {
			t.Fatalf("user 1 = %+v", u1)
		}
		for k, v := range want {
			if u1.Attrs[k] != v {
				t.Errorf("user 1 %s = %q, want %q", k, u1.Attrs[k], v)
			}
		}
	})
	t.Run("records the scale and a digest of every file", func(t *testing.T) {
		if sum.Scale == nil || *sum.Scale != (Scale{1, 5, 1}) {
			t.Errorf("scale %+v, want 1-5 step 1", sum.Scale)
		}
		if len(sum.Files) != 4 {
			t.Fatalf("files %+v, want u.data, u.genre, u.item, u.user", sum.Files)
		}
		for _, f := range sum.Files {
			h, n := fileSHA256(t, f.Path)
			if f.SHA256 != h || f.Bytes != n {
				t.Errorf("%s: sha256 %s (%d bytes), want %s (%d)", f.Path, f.SHA256, f.Bytes, h, n)
			}
		}
	})
	t.Run("reads the folder like its u.data", func(t *testing.T) {
		s2, _ := mustRead(t, "movielens-100k", filepath.Dir(p))
		if len(s2.events) != 100_000 || s2.events[99_999] != s.events[99_999] {
			t.Errorf("folder read gave %d events", len(s2.events))
		}
	})
}

func TestReadMovieLensLatest(t *testing.T) {
	p := dstest.Path(t, "movielens-latest-small", "ratings.csv")
	s, sum := mustRead(t, "movielens-latest", p)
	if len(s.events) != 100_836 || len(s.rejects) != 0 {
		t.Fatalf("events %d, rejects %d; want 100836, 0", len(s.events), len(s.rejects))
	}
	if n := s.distinct(customerOf); n != 610 {
		t.Errorf("distinct customers %d, want 610", n)
	}
	if len(s.items) != 9742 {
		t.Errorf("movies %d, want 9742", len(s.items))
	}
	if *sum.Scale != (Scale{0.5, 5, 0.5}) {
		t.Errorf("scale %+v", sum.Scale)
	}
	// ratings.csv line 2: 1,1,4.0,964982703; movies.csv line 2: 1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
	if e := s.events[0]; e.Customer != "1" || e.Item != "1" || e.Value != 4 || e.At != 964982703*1_000_000 {
		t.Errorf("first event %+v", e)
	}
	if it := s.items[0]; it.Title != "Toy Story (1995)" || it.Attrs["genres"] != "Adventure|Animation|Children|Comedy|Fantasy" {
		t.Errorf("first movie %+v", it)
	}
	// A quoted title with a comma: `11,"American President, The (1995)",Comedy|Drama|Romance`.
	found := false
	for _, it := range s.items {
		if it.ID == "11" {
			found = it.Title == "American President, The (1995)"
		}
	}
	if !found {
		t.Error("movie 11's quoted title was not read whole")
	}
}

func TestReadFilmTrust(t *testing.T) {
	p := dstest.Path(t, "filmtrust", "ratings.txt")
	s, sum := mustRead(t, "filmtrust", p)
	var rate, trust []Event
	for _, e := range s.events {
		switch e.Action {
		case "rate":
			rate = append(rate, e)
		case "trust":
			trust = append(trust, e)
		}
	}
	if len(rate) != 35_497 || len(trust) != 1_853 || len(s.rejects) != 0 {
		t.Fatalf("rate %d, trust %d, rejects %d; want 35497, 1853, 0", len(rate), len(trust), len(s.rejects))
	}
	ids := map[uint64]bool{}
	for _, e := range rate {
		if e.HasAt {
			t.Fatalf("FilmTrust has no time, got %+v", e)
		}
		ids[e.ID] = true
	}
	// One exact duplicate line: 35,496 distinct lines (the README's count,
	// rechecked here from the raw lines).
	if want := distinctStrings(rawLines(t, p)); len(ids) != want || want != 35_496 {
		t.Errorf("distinct rating ids %d, distinct lines %d; want 35496", len(ids), want)
	}
	for _, e := range trust {
		if e.Peer == "" || e.Item != "" || e.Value != 1 || e.HasAt {
			t.Fatalf("trust event %+v", e)
		}
	}
	if sum.Records != 35_497+1_853 || *sum.Scale != (Scale{0.5, 4, 0.5}) || len(sum.Files) != 2 {
		t.Errorf("summary %+v", sum)
	}
}

func TestReadCiaoDVD(t *testing.T) {
	p := dstest.Path(t, "ciaodvd", "movie-ratings.txt")
	s, sum := mustRead(t, "ciaodvd", p)
	if s.count("rate") != 72_665 || s.count("trust") != 40_133 || len(s.rejects) != 0 {
		t.Fatalf("rate %d, trust %d, rejects %d; want 72665, 40133, 0", s.count("rate"), s.count("trust"), len(s.rejects))
	}
	if n := len(s.items); n != 16_121 {
		t.Errorf("movies %d, want 16121", n)
	}
	// Neither file ends with a newline: the last lines must be there.
	// movie-ratings.txt ends "119,16121,17,72665,3,2013-11-11".
	last := s.events[72_664]
	if last.Customer != "119" || last.Item != "16121" || last.Value != 3 || time.UnixMicro(last.At).UTC().Format(time.DateOnly) != "2013-11-11" {
		t.Errorf("last rating %+v", last)
	}
	lines := rawLines(t, p)
	keys := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Split(l, ",")
		keys[i] = f[0] + "," + f[1] + "," + f[4] + "," + f[5] // the review id is not part of the event
	}
	ids := map[uint64]bool{}
	for _, e := range s.events[:72_665] {
		ids[e.ID] = true
	}
	if want := distinctStrings(keys); len(ids) != want {
		t.Errorf("distinct rating ids %d, want %d distinct (user, movie, rating, date)", len(ids), want)
	}
	if sum.Records != 72_665+40_133 {
		t.Errorf("records %d", sum.Records)
	}
}

func TestReadCDNOW(t *testing.T) {
	p := dstest.Path(t, "cdnow", "CDNOW_master.txt")
	s, sum := mustRead(t, "cdnow", p)
	if s.count("purchase") != 69_659 || len(s.events) != 69_659 || len(s.rejects) != 0 {
		t.Fatalf("purchases %d, rejects %d; want 69659, 0", len(s.events), len(s.rejects))
	}
	if n := s.distinct(customerOf); n != 23_570 {
		t.Errorf("customers %d, want 23570", n)
	}
	// Line 2: " 00001 19970101  1   11.77"
	if e := s.events[0]; e.Customer != "00001" || e.Value != 11.77 || time.UnixMicro(e.At).UTC().Format(time.DateOnly) != "1997-01-01" || e.Item != "" {
		t.Errorf("first purchase %+v", e)
	}
	lines := rawLines(t, p)[1:]
	keys := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		keys[i] = f[0] + " " + f[1] + " " + f[3]
	}
	if want := distinctStrings(keys); s.distinctIDs() != want {
		t.Errorf("distinct ids %d, want %d distinct (customer, date, amount)", s.distinctIDs(), want)
	}
	if sum.Records != 69_659 || sum.Scale != nil {
		t.Errorf("summary %+v", sum)
	}
}

func TestReadWikiVote(t *testing.T) {
	p := dstest.Path(t, "wiki-vote", "wiki-Vote.txt")
	s, _ := mustRead(t, "wiki-vote", p)
	if s.count("vote") != 103_689 || len(s.events) != 103_689 || len(s.rejects) != 0 {
		t.Fatalf("votes %d, rejects %d; want 103689, 0", len(s.events), len(s.rejects))
	}
	if n := s.distinct(nodesOf); n != 7_115 {
		t.Errorf("nodes %d, want 7115", n)
	}
	if e := s.events[0]; e.Customer != "30" || e.Peer != "1412" || e.Value != 1 || e.HasAt || e.Item != "" {
		t.Errorf("first vote %+v", e)
	}
}

// sePostsXML is an independent, whole-file reading of Posts.xml.
type sePostsXML struct {
	Rows []struct {
		ID       string `xml:"Id,attr"`
		Type     string `xml:"PostTypeId,attr"`
		Parent   string `xml:"ParentId,attr"`
		Accepted string `xml:"AcceptedAnswerId,attr"`
		Owner    string `xml:"OwnerUserId,attr"`
	} `xml:"row"`
}

func TestReadStackExchange(t *testing.T) {
	p := dstest.Path(t, "stackexchange-beer", "Posts.xml")
	s, sum := mustRead(t, "stackexchange", p)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc sePostsXML
	if err := xml.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &doc); err != nil {
		t.Fatal(err)
	}
	var q, a, qNoOwner, aNoOwner, votes int
	owner := map[string]string{}
	typ := map[string]string{}
	for _, r := range doc.Rows {
		owner[r.ID], typ[r.ID] = r.Owner, r.Type
	}
	for _, r := range doc.Rows {
		switch r.Type {
		case "1":
			q++
			if r.Owner == "" {
				qNoOwner++
			} else if typ[r.Accepted] == "2" {
				votes++
			}
		case "2":
			a++
			if r.Owner == "" {
				aNoOwner++
			}
		}
	}
	if q != 663 || a != 1572 {
		t.Fatalf("independent count: %d questions, %d answers; want 663, 1572", q, a)
	}
	t.Run("emits a contribute per owned question and an answer per owned answer", func(t *testing.T) {
		if c, an := s.count("contribute"), s.count("answer"); c+qNoOwner != q || an+aNoOwner != a {
			t.Errorf("contribute %d + %d without owner, answer %d + %d without owner; want %d, %d", c, qNoOwner, an, aNoOwner, q, a)
		}
		if len(s.rejects) != qNoOwner+aNoOwner {
			t.Errorf("rejects %d, want %d posts without owner", len(s.rejects), qNoOwner+aNoOwner)
		}
	})
	t.Run("emits a vote per accepted answer present", func(t *testing.T) {
		if v := s.count("vote"); v != votes || v == 0 {
			t.Errorf("votes %d, want %d", v, votes)
		}
		for _, e := range s.events {
			if e.Action == "vote" && (owner[strings.TrimPrefix(e.Item, "a")] != e.Peer || !strings.HasPrefix(e.Item, "a")) {
				t.Fatalf("vote %+v does not name the answerer as peer", e)
			}
		}
	})
	t.Run("names the asker as the peer of an answer", func(t *testing.T) {
		for _, e := range s.events {
			if e.Action == "answer" && e.Peer != owner[strings.TrimPrefix(e.Item, "q")] {
				t.Fatalf("answer %+v: peer should be %q", e, owner[strings.TrimPrefix(e.Item, "q")])
			}
		}
	})
	t.Run("gives rejects the physical line of their row", func(t *testing.T) {
		for _, r := range s.rejects {
			id := strings.SplitN(r.Raw, `"`, 3)[1]
			if got := lineContaining(t, b, `<row Id="`+id+`"`); got != r.Line {
				t.Errorf("reject for post %s at line %d, the row is on line %d", id, r.Line, got)
			}
		}
	})
	if sum.Records != int64(len(doc.Rows)) {
		t.Errorf("records %d, want %d rows", sum.Records, len(doc.Rows))
	}
}

func lineContaining(t *testing.T, b []byte, needle string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := int64(1); sc.Scan(); n++ {
		if strings.Contains(sc.Text(), needle) {
			return n
		}
	}
	t.Fatalf("%s not found", needle)
	return 0
}

func TestDetectRealFiles(t *testing.T) {
	for _, c := range []struct{ ds, file, want string }{
		{"movielens-100k", "u.data", "movielens-100k"},
		{"movielens-100k", "", "movielens-100k"},
		{"movielens-latest-small", "ratings.csv", "movielens-latest"},
		{"movielens-latest-small", "", "movielens-latest"},
		{"filmtrust", "ratings.txt", "filmtrust"},
		{"filmtrust", "trust.txt", "filmtrust"},
		{"filmtrust", "", "filmtrust"},
		{"ciaodvd", "movie-ratings.txt", "ciaodvd"},
		{"ciaodvd", "trusts.txt", "ciaodvd"},
		{"ciaodvd", "", "ciaodvd"},
		{"cdnow", "CDNOW_master.txt", "cdnow"},
		{"stackexchange-beer", "Posts.xml", "stackexchange"},
		{"stackexchange-beer", "", "stackexchange"},
		{"wiki-vote", "wiki-Vote.txt", "wiki-vote"},
	} {
		t.Run(c.ds+"/"+c.file+" is "+c.want, func(t *testing.T) {
			p := dstest.Path(t, c.ds)
			if c.file != "" {
				p = filepath.Join(p, c.file)
			}
			got, err := Detect(p)
			if err != nil || got != c.want {
				t.Errorf("Detect(%s) = %q, %v; want %q", p, got, err, c.want)
			}
		})
	}
	t.Run("a groceries file is not taken for a known format", func(t *testing.T) {
		p := dstest.Path(t, "groceries", "Groceries_dataset.csv")
		if got, err := Detect(p); err == nil {
			t.Errorf("Detect(groceries) = %q, want an error", got)
		}
	})
}
