package datasets

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
)

// The events CSV reader is the ingest hot path. The file (after gzip) is
// cut into chunks of whole lines; GOMAXPROCS workers parse chunks into
// events (ids included); the calling goroutine hands them to the sink in
// file order, so the sink needs no locking. At most a few chunks are in
// flight, so memory stays bounded whatever the file size.

// csvChunkBytes is the size of a chunk of lines.
const csvChunkBytes = 4 << 20

// csvChunk is a run of whole lines and, once parsed, their events.
type csvChunk struct {
	buf     []byte
	first   int64   // line number of the first line in buf
	long    *Reject // a line longer than a chunk, found while cutting (buf is empty)
	err     error   // a read error after buf: the last chunk
	events  []Event
	rejects []posReject
	records int64
	done    chan struct{}
}

// posReject is a reject that comes before events[at] in file order.
type posReject struct {
	at int
	r  Reject
}

// readEventsCSV reads the header and data lines of an events CSV file.
func readEventsCSV(ctx context.Context, src *source, sink Sink, opt ReadOptions) (int64, error) {
	lr := newLineReader(src, opt)
	var header []byte
	for {
		line, err := lr.next()
		if err == io.EOF {
			if !lr.any {
				return 0, &InputError{File: src.path, Reason: "file is empty"}
			}
			return 0, &InputError{File: src.path, Reason: "no data rows"}
		}
		if err != nil {
			return 0, err
		}
		if lr.long {
			return 0, &InputError{File: src.path, Line: lr.no, Reason: "header: " + tooLongReason(lr.max)}
		}
		if len(bytes.TrimSpace(line)) > 0 {
			header = line
			break
		}
	}
	if off := invalidUTF8At(header); off >= 0 {
		return 0, &InputError{File: src.path, Line: lr.no, Reason: "header: " + invalidUTF8Reason(off)}
	}
	names, r := splitCSV(nil, string(header))
	if r != "" {
		return 0, &InputError{File: src.path, Line: lr.no, Reason: "header: " + r}
	}
	layout, err := newEventLayout(src.path, lr.no, names)
	if err != nil {
		return 0, err
	}
	n, err := parseEventChunks(ctx, src, lr.br, lr.no+1, layout, sink, lr.max)
	if err == nil && n == 0 {
		return 0, &InputError{File: src.path, Reason: "no data rows"}
	}
	return n, err
}

// parseEventChunks parses the lines of r, the first of which is line
// first, and delivers them to sink in order.
func parseEventChunks(ctx context.Context, src *source, r io.Reader, first int64, layout eventLayout, sink Sink, max int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	workers := runtime.GOMAXPROCS(0)
	chunkSize := csvChunkBytes
	if chunkSize < 2*max {
		chunkSize = 2 * max
	}
	var (
		work  = make(chan *csvChunk, workers)
		order = make(chan *csvChunk, workers+2)
		free  = make(chan *csvChunk, workers+4)
		wg    sync.WaitGroup
	)
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		cutChunks(ctx, src, r, first, chunkSize, max, work, order, free)
	}()
	clk := newClock()
	for range workers {
		go func() {
			defer wg.Done()
			p := &eventParser{layout: layout, clk: clk}
			for c := range work {
				p.parseChunk(ctx, src.path, c, max)
				close(c.done)
			}
		}()
	}
	var records int64
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
			return records, ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return records, err
		}
		ri := 0
		for k := range c.events {
			for ri < len(c.rejects) && c.rejects[ri].at == k {
				if err := sink.Reject(c.rejects[ri].r); err != nil {
					return records, err
				}
				ri++
			}
			if k%ctxEvery == ctxEvery-1 {
				if err := ctx.Err(); err != nil {
					return records, err
				}
			}
			if err := sink.Event(&c.events[k]); err != nil {
				return records, err
			}
		}
		for ; ri < len(c.rejects); ri++ {
			if err := sink.Reject(c.rejects[ri].r); err != nil {
				return records, err
			}
		}
		records += c.records
		if c.err != nil {
			return records, c.err
		}
		c.events = c.events[:0]
		c.rejects = c.rejects[:0]
		c.long = nil
		select {
		case free <- c:
		default:
		}
	}
	return records, ctx.Err()
}

// cutChunks reads r into chunks of whole lines and sends each to order
// (for the consumer) and work (for the parsers).
func cutChunks(ctx context.Context, src *source, r io.Reader, line int64, chunkSize, max int, work, order chan<- *csvChunk, free <-chan *csvChunk) {
	defer close(work)
	defer close(order)
	send := func(c *csvChunk) bool {
		select {
		case order <- c:
		case <-ctx.Done():
			return false
		}
		select {
		case work <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	carry := make([]byte, 0, chunkSize)
	for eof := false; !eof; {
		var c *csvChunk
		select {
		case c = <-free:
		default:
			c = &csvChunk{buf: make([]byte, 0, chunkSize)}
		}
		c.done = make(chan struct{})
		c.records = 0
		c.buf = append(c.buf[:0], carry...)
		carry = carry[:0]
		var err error
		c.buf, err = fill(r, c.buf)
		switch {
		case err == io.EOF:
			eof = true
		case err != nil:
			c.err, eof = src.readError(err), true
		}
		c.first = line
		if !eof {
			i := bytes.LastIndexByte(c.buf, '\n')
			if i < 0 {
				// One line fills the chunk: reject it and skip to its end.
				c.long = &Reject{File: src.path, Line: line, Reason: tooLongReason(max), Raw: rawText(c.buf)}
				var rest []byte
				rest, c.err = skipLine(r, c.buf[:cap(c.buf)])
				if c.err == io.EOF {
					eof, c.err = true, nil
				} else if c.err != nil {
					eof, c.err = true, src.readError(c.err)
				}
				carry = append(carry, rest...)
				c.buf = c.buf[:0]
				line++
				if !send(c) {
					return
				}
				continue
			}
			carry = append(carry, c.buf[i+1:]...)
			c.buf = c.buf[:i+1]
		}
		line += int64(bytes.Count(c.buf, []byte{'\n'}))
		if !send(c) {
			return
		}
	}
}

// fill reads from r until buf is full, returning io.EOF at the end of r.
func fill(r io.Reader, buf []byte) ([]byte, error) {
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// skipLine reads and discards r up to and including the next newline,
// using scratch as its buffer, and returns what followed the newline.
func skipLine(r io.Reader, scratch []byte) ([]byte, error) {
	for {
		n, err := r.Read(scratch)
		if i := bytes.IndexByte(scratch[:n], '\n'); i >= 0 {
			return scratch[i+1 : n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseChunk parses the lines of c into c.events and c.rejects. It stops
// early, leaving c incomplete, when ctx is done; the consumer then
// returns ctx's error without delivering c.
func (p *eventParser) parseChunk(ctx context.Context, file string, c *csvChunk, max int) {
	if c.long != nil {
		c.rejects = append(c.rejects, posReject{0, *c.long})
		c.records = 1
		return
	}
	buf := c.buf
	if want := bytes.Count(buf, []byte{'\n'}) + 1; cap(c.events) < want {
		c.events = make([]Event, 0, want+want/8)
	}
	no := c.first - 1
	for len(buf) > 0 {
		var line []byte
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			line, buf = buf, nil
		}
		no++
		if (no-c.first)%ctxEvery == ctxEvery-1 && ctx.Err() != nil {
			return
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > max {
			c.records++
			c.rejects = append(c.rejects, posReject{len(c.events), Reject{File: file, Line: no, Reason: tooLongReason(max), Raw: rawText(line)}})
			continue
		}
		if blank(line) {
			continue
		}
		c.records++
		if off := invalidUTF8At(line); off >= 0 {
			c.rejects = append(c.rejects, posReject{len(c.events), Reject{File: file, Line: no, Reason: invalidUTF8Reason(off), Raw: rawText(line)}})
			continue
		}
		c.events = append(c.events, Event{})
		e := &c.events[len(c.events)-1]
		if r, cust := p.parseLine(line, e); r != "" {
			c.events = c.events[:len(c.events)-1]
			c.rejects = append(c.rejects, posReject{len(c.events), Reject{File: file, Line: no, Reason: r, Raw: rawText(line), Customer: cust}})
		}
	}
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
