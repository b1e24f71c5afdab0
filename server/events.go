package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
)

// EventsRequest is the body of POST /v1/events. Each event is an object
// with the fields of custnet's events format: customer_id and action
// (required), at, channel, item_id, peer_id, value.
type EventsRequest struct {
	Events []json.RawMessage `json:"events"`
	// Consent names the basis of the batch. The only one is "ledger" (also
	// the zero value): an event is stored when its customer's latest
	// analytics record in the ledger is a grant, and counted as
	// without_consent otherwise.
	Consent string `json:"consent,omitempty"`
}

// RowReject is why one event of a rejected batch is bad. Index is the
// 0-based position of the event in the request's events array. A rejected
// batch lists its first bad events (the engine stops at 10).
type RowReject struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// requestSource stands for the temporary file in what the engine reports.
const requestSource = "request body"

// events stores a batch whole or not at all: it writes the batch to a
// temporary JSON Lines file (one event per line, so line n is event n-1)
// and ingests it in strict mode, which stores nothing when any row is bad.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	select {
	case s.ingests <- struct{}{}:
		defer func() { <-s.ingests }()
	case <-r.Context().Done():
		writeError(w, http.StatusServiceUnavailable, "gave up waiting for an ingest slot", "unavailable")
		return
	}
	var req EventsRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if req.Consent != "" && req.Consent != "ledger" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`consent %q: the only basis is "ledger" (the customer's latest analytics record must be a grant)`, req.Consent), "bad input")
		return
	}
	if len(req.Events) == 0 {
		writeError(w, http.StatusBadRequest, "the batch has no events", "bad input")
		return
	}
	var bad []RowReject
	for i, ev := range req.Events {
		if b := bytes.TrimSpace(ev); len(b) == 0 || b[0] != '{' {
			bad = append(bad, RowReject{Index: i, Reason: "not a JSON object"})
		}
	}
	if len(bad) > 0 {
		s.rejectBatch(w, bad)
		return
	}
	path, err := s.writeBatch(req.Events)
	if path != "" {
		defer os.Remove(path)
	}
	if err != nil {
		s.log.Error("write event batch", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; the server log has the details", "other")
		return
	}
	res, err := s.e.Ingest(r.Context(), engine.IngestOptions{Path: path, Format: "events", UseLedger: true, Strict: true})
	if err != nil {
		if engine.KindOf(err) == engine.KindBadInput {
			var re *engine.RejectsError
			if errors.As(err, &re) {
				rows := make([]RowReject, len(re.Rejects))
				for i, r := range re.Rejects {
					// Line n of the batch file is event n-1 of the request.
					rows[i] = RowReject{Index: int(r.Line) - 1, Reason: strings.ReplaceAll(r.Reason, path, requestSource)}
				}
				s.rejectBatch(w, rows)
				return
			}
			var ie *datasets.InputError
			if errors.As(err, &ie) && ie.Line > 0 {
				s.rejectBatch(w, []RowReject{{Index: int(ie.Line) - 1, Reason: strings.ReplaceAll(ie.Reason, path, requestSource)}})
				return
			}
			s.metrics.batches("rejected")
			writeError(w, http.StatusUnprocessableEntity, strings.ReplaceAll(err.Error(), path, requestSource), "bad input")
			return
		}
		s.metrics.batches("failed")
		s.engineError(w, r, err)
		return
	}
	s.metrics.ingested(res)
	res.Path = requestSource
	for i := range res.Files {
		res.Files[i].Path = requestSource
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) rejectBatch(w http.ResponseWriter, rows []RowReject) {
	s.metrics.rejected(len(rows))
	msg := fmt.Sprintf("the batch has bad events, so none was stored; %d reasons follow", len(rows))
	if len(rows) == 1 {
		msg = fmt.Sprintf("event %d: %s; nothing was stored", rows[0].Index, rows[0].Reason)
	}
	writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: msg, Kind: engine.KindBadInput.String(), Rejects: rows})
}

// writeBatch writes events to a temporary JSON Lines file, one compacted
// object per line.
func (s *Server) writeBatch(events []json.RawMessage) (string, error) {
	f, err := os.CreateTemp(s.opt.TempDir, "custnet-events-*.jsonl")
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	var line bytes.Buffer
	for _, ev := range events {
		line.Reset()
		if err := json.Compact(&line, ev); err != nil {
			f.Close()
			return f.Name(), err
		}
		line.WriteByte('\n')
		bw.Write(line.Bytes())
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return f.Name(), err
	}
	return f.Name(), f.Close()
}
