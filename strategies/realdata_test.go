//go:build duckdb_arrow

package strategies

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/internal/dstest"
)

// TestMovieLensCustomize loads MovieLens 100k as rate events and checks
// that the CUSTOMIZE ratings and back-catalogue features spread the users.
func TestMovieLensCustomize(t *testing.T) {
	path := dstest.Path(t, "movielens-100k", "u.data")
	db := newTestDB(t)
	mustExec(t, db, `INSERT INTO events
		SELECT row_number() OVER (), make_timestamp(ts * 1000000), CAST(usr AS VARCHAR), 'rate', 'web',
			CAST(item AS VARCHAR), NULL, rating, 'movielens-100k', 1
		FROM read_csv('`+strings.ReplaceAll(path, "'", "''")+`', delim = '\t', header = false,
			columns = {'usr': 'INTEGER', 'item': 'INTEGER', 'rating': 'DOUBLE', 'ts': 'BIGINT'})`)
	// The ratings run from 1997-09-20 to 1998-04-22: one year to 1998-04-30
	// covers them all.
	ft := queryFeatures(t, db, Window{AsOf: time.Date(1998, 4, 30, 0, 0, 0, 0, time.UTC), Days: 365}, nil)
	if ft.Len() != 943 {
		t.Fatalf("%d users, want 943", ft.Len())
	}
	res, err := Score(context.Background(), ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		feature              string
		minNonZero, distinct float64 // share of users with a non-zero value; distinct values at least
	}{
		{"ratings", 1, 100},                // every MovieLens user rated at least 20 films
		{"back_catalogue_share", 0.5, 100}, // most users watch beyond the blockbusters
	} {
		t.Run(tc.feature+" is not degenerate", func(t *testing.T) {
			col := slices.Clone(ft.Column(tc.feature))
			slices.Sort(col)
			nz, distinct := 0, 1
			for i, v := range col {
				if v != 0 {
					nz++
				}
				if i > 0 && v != col[i-1] {
					distinct++
				}
			}
			share := float64(nz) / float64(len(col))
			t.Logf("%s: min %.4g, median %.4g, max %.4g, non-zero %.1f%%, %d distinct values",
				tc.feature, col[0], col[len(col)/2], col[len(col)-1], 100*share, distinct)
			if share < tc.minNonZero || float64(distinct) < tc.distinct || col[0] == col[len(col)-1] {
				t.Errorf("degenerate: non-zero %.3f (want ≥ %.2f), %d distinct values", share, tc.minNonZero, distinct)
			}
		})
	}
	t.Run("user 1's 272 ratings are counted", func(t *testing.T) {
		i := slices.Index(ft.CustomerIDs, "1")
		if got := ft.Column("ratings")[i]; got != 272 {
			t.Errorf("user 1 ratings = %v, want 272", got)
		}
	})
	t.Run("the CUSTOMIZE score spreads the users", func(t *testing.T) {
		s := slices.Clone(res.Scores[datasets.Customize])
		slices.Sort(s)
		t.Logf("CUSTOMIZE: min %.1f, median %.1f, max %.1f", s[0], s[len(s)/2], s[len(s)-1])
		if s[len(s)-1]-s[0] < 30 {
			t.Errorf("range %.1f–%.1f is too narrow", s[0], s[len(s)-1])
		}
	})
}

// sePost is the part of a Stack Exchange Posts.xml row the test needs.
type sePost struct {
	ID, PostTypeID, ParentID, AcceptedAnswerID, OwnerUserID, CreationDate string
}

// readPosts parses Posts.xml with encoding/xml (the datasets reader is
// written elsewhere).
func readPosts(t *testing.T, path string) []sePost {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var posts []sePost
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		var p sePost
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				p.ID = a.Value
			case "PostTypeId":
				p.PostTypeID = a.Value
			case "ParentId":
				p.ParentID = a.Value
			case "AcceptedAnswerId":
				p.AcceptedAnswerID = a.Value
			case "OwnerUserId":
				p.OwnerUserID = a.Value
			case "CreationDate":
				p.CreationDate = a.Value
			}
		}
		posts = append(posts, p)
	}
	return posts
}

// TestStackExchangeCollaborate turns the Beer Stack Exchange posts into
// collaborate events (questions → contribute, answers → answer to the
// asker, accepted answers → a vote by the asker for the answerer) and checks
// that the users with the most accepted answers score in the top decile of
// COLLABORATE.
func TestStackExchangeCollaborate(t *testing.T) {
	posts := readPosts(t, dstest.Path(t, "stackexchange-beer", "Posts.xml"))
	byID := make(map[string]sePost, len(posts))
	for _, p := range posts {
		byID[p.ID] = p
	}
	tmp := filepath.Join(t.TempDir(), "events.csv")
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	seq := 0
	emit := func(at, customer, action, peer string) {
		seq++
		w.Write([]string{strconv.Itoa(seq), strings.Replace(at, "T", " ", 1), customer, action, "web", "", peer, "", "stackexchange-beer", "1"})
	}
	accepted := map[string]int{} // answerer → accepted answers
	for _, p := range posts {
		if p.OwnerUserID == "" {
			continue // deleted user
		}
		switch p.PostTypeID {
		case "1":
			emit(p.CreationDate, p.OwnerUserID, "contribute", "")
			if a, ok := byID[p.AcceptedAnswerID]; ok && a.OwnerUserID != "" {
				emit(a.CreationDate, p.OwnerUserID, "vote", a.OwnerUserID)
				accepted[a.OwnerUserID]++
			}
		case "2":
			emit(p.CreationDate, p.OwnerUserID, "answer", byID[p.ParentID].OwnerUserID)
		}
	}
	w.Flush()
	if err := f.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
	db := newTestDB(t)
	mustExec(t, db, `INSERT INTO events SELECT * FROM read_csv('`+strings.ReplaceAll(tmp, "'", "''")+`', header = false, columns = {
		'event_id': 'UBIGINT', 'at': 'TIMESTAMP', 'customer_id': 'VARCHAR', 'action': 'VARCHAR',
		'channel': 'VARCHAR', 'item_id': 'VARCHAR', 'peer_id': 'VARCHAR', 'value': 'DOUBLE',
		'source': 'VARCHAR', 'batch_id': 'BIGINT'})`)
	ft := queryFeatures(t, db, Window{Days: 20 * 365}, nil) // all of the site's history
	res, err := Score(context.Background(), ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	score := res.Scores[datasets.Collaborate]

	top := make([]string, 0, len(accepted))
	for u := range accepted {
		top = append(top, u)
	}
	sort.Slice(top, func(i, j int) bool {
		if accepted[top[i]] != accepted[top[j]] {
			return accepted[top[i]] > accepted[top[j]]
		}
		return top[i] < top[j]
	})
	top = top[:5]
	n := res.Len()
	t.Logf("%d users scored; top accepted answerers %v", n, top)
	for _, u := range top {
		t.Run("user "+u+" with "+strconv.Itoa(accepted[u])+" accepted answers is in the top decile", func(t *testing.T) {
			i := slices.Index(res.CustomerIDs, u)
			if i < 0 {
				t.Fatal("not scored")
			}
			higher := 0
			for _, s := range score {
				if s > score[i] {
					higher++
				}
			}
			t.Logf("COLLABORATE %.1f, %d of %d users score higher", score[i], higher, n)
			if float64(higher) >= 0.1*float64(n) {
				t.Errorf("%d of %d users score higher: not in the top decile", higher, n)
			}
		})
	}
}
