package datasets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// formatStackExchange is a Stack Exchange data dump (Posts.xml, and
// Comments.xml when present), https://archive.org/details/stackexchange.
const formatStackExchange = "stackexchange"

func init() {
	register(FormatInfo{
		Name:        formatStackExchange,
		Description: "Stack Exchange dump: Posts.xml (or its folder), with Comments.xml beside it when present",
		Read:        readStackExchange,
		Sniff:       sniffStackExchange,
	})
}

// sePost is what custnet keeps of one question or answer row.
type sePost struct {
	line     int64
	typ      byte // '1' question, '2' answer
	id       string
	owner    string
	parent   string // answers: the question
	accepted string // questions: the accepted answer
	score    float64
	hasScore bool
	at       int64
	hasAt    bool
	reason   string // a reject reason, "" when the row is good
	raw      string
}

// readStackExchange reads Posts.xml with a streaming decoder and then
// emits, in file order:
//   - a question (PostTypeId 1) as "contribute" by its owner, item "q<Id>",
//     value its Score;
//   - an answer (PostTypeId 2) as "answer" by its owner, peer the question's
//     owner ("" when the question is not in the file), item "q<ParentId>",
//     value its Score;
//   - an accepted answer as a "vote" by the asker, peer the answerer, item
//     "a<AnswerId>", value 1, at the answer's time (the dump does not date
//     the acceptance), when the answer is in the file.
//
// Other post types (tag wikis, ...) are counted as records and skipped.
// Posts without OwnerUserId (deleted users) are rejected. Answers may come
// before their question, so the rows are kept (a few strings per post)
// until the file is read. Comments.xml beside it, when present, adds
// "comment" events by UserId on item "q<PostId>" or "a<PostId>", peer the
// post's owner.
func readStackExchange(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	dir, main := resolveMain(path, "Posts.xml")
	var sum Summary
	clk := newClock()
	var posts []sePost
	byID := map[string]int{}
	err := scanXMLRows(ctx, &sum, main, func(line int64, attr []xml.Attr) {
		p := sePost{line: line}
		typ := xmlAttr(attr, "PostTypeId")
		if typ != "1" && typ != "2" {
			return
		}
		p.typ = typ[0]
		p.id = xmlAttr(attr, "Id")
		p.owner = xmlAttr(attr, "OwnerUserId")
		p.parent = xmlAttr(attr, "ParentId")
		p.accepted = xmlAttr(attr, "AcceptedAnswerId")
		p.raw = rawText([]byte(fmt.Sprintf(`Id=%q PostTypeId=%q OwnerUserId=%q ParentId=%q Score=%q CreationDate=%q`,
			p.id, typ, p.owner, p.parent, xmlAttr(attr, "Score"), xmlAttr(attr, "CreationDate"))))
		p.score, p.hasScore, p.at, p.hasAt, p.reason = seCommon(clk, attr)
		switch {
		case p.reason != "":
		case p.id == "":
			p.reason = "post has no Id"
		case p.owner == "":
			p.reason = "post has no OwnerUserId (deleted or anonymous user)"
		case p.typ == '2' && p.parent == "":
			p.reason = "answer has no ParentId"
		}
		if p.id != "" {
			byID[p.id] = len(posts)
		}
		posts = append(posts, p)
	})
	if err != nil {
		return sum, err
	}
	post := func(id string) *sePost {
		if i, ok := byID[id]; ok && id != "" {
			return &posts[i]
		}
		return nil
	}
	var e Event
	emit := func() error {
		e.ID = EventID(formatStackExchange, &e)
		return sink.Event(&e)
	}
	for i := range posts {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		p := &posts[i]
		if p.reason != "" {
			if err := sink.Reject(Reject{File: main, Line: p.line, Reason: p.reason, Raw: p.raw, Customer: p.owner}); err != nil {
				return sum, err
			}
			continue
		}
		e = Event{Customer: p.owner, At: p.at, HasAt: p.hasAt, Value: p.score, HasValue: p.hasScore}
		if p.typ == '1' {
			e.Action, e.Item = "contribute", "q"+p.id
			if err := emit(); err != nil {
				return sum, err
			}
			if a := post(p.accepted); a != nil && a.typ == '2' {
				e = Event{Customer: p.owner, Action: "vote", Peer: a.owner, Item: "a" + a.id, Value: 1, HasValue: true, At: a.at, HasAt: a.hasAt}
				if err := emit(); err != nil {
					return sum, err
				}
			}
			continue
		}
		e.Action, e.Item = "answer", "q"+p.parent
		if q := post(p.parent); q != nil && q.typ == '1' {
			e.Peer = q.owner
		}
		if err := emit(); err != nil {
			return sum, err
		}
	}
	cpath := filepath.Join(dir, "Comments.xml")
	if _, err := os.Stat(cpath); errors.Is(err, fs.ErrNotExist) {
		return sum, nil
	}
	var rows int64
	err = scanXMLRows(ctx, &sum, cpath, func(line int64, attr []xml.Attr) {
		rows++
		if err := readSEComment(clk, cpath, line, attr, post, sink); err != nil {
			panic(seAbort{err})
		}
	})
	return sum, err
}

// seAbort carries a sink error out of a row callback.
type seAbort struct{ err error }

func readSEComment(clk clock, file string, line int64, attr []xml.Attr, post func(string) *sePost, sink Sink) error {
	user, pid := xmlAttr(attr, "UserId"), xmlAttr(attr, "PostId")
	_, _, at, hasAt, reason := seCommon(clk, attr)
	switch {
	case reason != "":
	case user == "":
		reason = "comment has no UserId (deleted or anonymous user)"
	case pid == "":
		reason = "comment has no PostId"
	}
	if reason != "" {
		raw := rawText([]byte(fmt.Sprintf(`Id=%q PostId=%q UserId=%q`, xmlAttr(attr, "Id"), pid, user)))
		return sink.Reject(Reject{File: file, Line: line, Reason: reason, Raw: raw, Customer: user})
	}
	e := Event{Customer: user, Action: "comment", Item: "p" + pid, At: at, HasAt: hasAt}
	if p := post(pid); p != nil {
		if p.typ == '2' {
			e.Item = "a" + pid
		} else {
			e.Item = "q" + pid
		}
		e.Peer = p.owner
	}
	e.ID = EventID(formatStackExchange, &e)
	return sink.Event(&e)
}

// seCommon reads the Score and CreationDate of a row.
func seCommon(clk clock, attr []xml.Attr) (score float64, hasScore bool, at int64, hasAt bool, reason string) {
	if s := xmlAttr(attr, "Score"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false, 0, false, fmt.Sprintf("Score %q is not an integer", s)
		}
		score, hasScore = float64(v), true
	}
	if s := xmlAttr(attr, "CreationDate"); s != "" {
		t, r := clk.parseTime(s)
		if r != "" {
			return 0, false, 0, false, r
		}
		at, hasAt = t, true
	}
	return score, hasScore, at, hasAt, ""
}

func xmlAttr(attr []xml.Attr, name string) string {
	for _, a := range attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// scanXMLRows streams the <row .../> elements of a Stack Exchange dump
// file to fn with their line numbers, checking ctx every ctxEvery rows,
// and adds the file and its rows to sum.
func scanXMLRows(ctx context.Context, sum *Summary, path string, fn func(line int64, attr []xml.Attr)) (err error) {
	src, err := openSource(path)
	if err != nil {
		return err
	}
	defer src.close()
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(seAbort)
			if !ok {
				panic(r)
			}
			err = a.err
		}
	}()
	br := bufio.NewReaderSize(src.r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	r := &errRecorder{r: br}
	d := xml.NewDecoder(r)
	var rows int64
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if r.err != nil {
				return src.readError(r.err)
			}
			line, _ := d.InputPos()
			return &InputError{File: path, Line: int64(line), Reason: "malformed XML: " + err.Error(), Err: err}
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		rows++
		if rows%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, _ := d.InputPos()
		fn(int64(line), se.Attr)
	}
	if rows == 0 {
		return &InputError{File: path, Reason: "no data rows"}
	}
	sum.Records += rows
	sf, err := src.finish()
	if err != nil {
		return err
	}
	sum.Files = append(sum.Files, sf)
	return nil
}

// errRecorder remembers the first read error of r (so that a truncated
// .gz is reported as such, not as malformed XML).
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// sniffStackExchange recognises a Posts.xml (or Comments.xml) dump.
func sniffStackExchange(path string, head []byte) bool {
	head = bytes.TrimPrefix(head, utf8BOM)
	if i := bytes.Index(head, []byte("?>")); bytes.HasPrefix(head, []byte("<?xml")) && i >= 0 {
		head = head[i+2:]
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	return bytes.HasPrefix(head, []byte("<posts>")) || bytes.HasPrefix(head, []byte("<comments>"))
}
