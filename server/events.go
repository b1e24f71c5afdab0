package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

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
// batch lists its first bad events (at most 10).
type RowReject struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// maxRowRejects bounds the reasons a rejected batch lists.
const maxRowRejects = 10

// requestSource is the provenance of a batch posted to /v1/events.
const requestSource = "POST /v1/events"

// events stores a batch whole or not at all: it parses every event, rejects
// the batch with per-event reasons when any is bad, and otherwise hands it
// to [engine.Engine.Append], which commits it (with the batches posted at
// the same time) and answers once it is stored.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if !s.ingestSlot(w, r) {
		return
	}
	defer func() { <-s.ingests }()
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
	p := datasets.NewJSONEventParser()
	events := make([]datasets.Event, len(req.Events))
	var bad []RowReject
	for i, raw := range req.Events {
		if reason := p.Parse(raw, &events[i]); reason != "" && len(bad) < maxRowRejects {
			bad = append(bad, RowReject{Index: i, Reason: reason})
		}
	}
	if len(bad) > 0 {
		s.rejectBatch(w, bad)
		return
	}
	res, err := s.e.Append(r.Context(), events, engine.AppendOptions{Source: requestSource})
	if err != nil {
		var re *engine.RejectsError
		if engine.KindOf(err) == engine.KindBadInput && errors.As(err, &re) {
			rows := make([]RowReject, len(re.Rejects))
			for i, r := range re.Rejects {
				rows[i] = RowReject{Index: int(r.Line) - 1, Reason: r.Reason} // Line is the 1-based position
			}
			s.rejectBatch(w, rows)
			return
		}
		s.metrics.batches("failed")
		s.engineError(w, r, err)
		return
	}
	s.metrics.ingested(res)
	writeJSON(w, http.StatusOK, res)
}

// ingestSlot takes one of the MaxConcurrentIngests slots, waiting behind at
// most as many other batches. When the queue is deeper than that, or the
// request is canceled while waiting, it answers 503 with Retry-After and
// returns false: a bounded backlog rather than one that grows until the
// timeouts hit.
func (s *Server) ingestSlot(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.ingests <- struct{}{}:
		return true
	default:
	}
	if s.ingestWaiting.Add(1) > int64(cap(s.ingests)) {
		s.ingestWaiting.Add(-1)
		s.metrics.batches("shed")
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "too many event batches are queued; nothing was stored, retry later", "unavailable")
		return false
	}
	defer s.ingestWaiting.Add(-1)
	select {
	case s.ingests <- struct{}{}:
		return true
	case <-r.Context().Done():
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "gave up waiting for an ingest slot; nothing was stored", "unavailable")
		return false
	}
}

func (s *Server) rejectBatch(w http.ResponseWriter, rows []RowReject) {
	s.metrics.rejected(len(rows))
	msg := fmt.Sprintf("the batch has bad events, so none was stored; %d reasons follow", len(rows))
	if len(rows) == 1 {
		msg = fmt.Sprintf("event %d: %s; nothing was stored", rows[0].Index, rows[0].Reason)
	}
	writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: msg, Kind: engine.KindBadInput.String(), Rejects: rows})
}
