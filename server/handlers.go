package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/custnet/custnet/engine"
)

// routes builds the mux and wraps it with metrics and panic recovery.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, h)
	}
	handle("GET /v1/customers/{id}/recommendations", s.customerOnly(s.recommendations))
	handle("GET /v1/customers/{id}/scores", s.customerOnly(s.scores))
	handle("GET /v1/customers/{id}/export", s.customerOnly(s.export))
	handle("POST /v1/customers/{id}/consents", s.customerOnly(s.consent))
	handle("POST /v1/customers/{id}/token", s.operatorOnly(s.mintToken))
	handle("POST /v1/events", s.operatorOnly(s.events))
	handle("GET /metrics", s.operatorOnly(s.metricsPage))
	handle("GET /healthz", s.healthz)
	s.metrics = newMetrics()
	return s.instrument(mux)
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error   string      `json:"error"`
	Kind    string      `json:"kind"`
	Rejects []RowReject `json:"rejects,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store") // personal data: never cached
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg, kind string) {
	writeJSON(w, status, errorBody{Error: msg, Kind: kind})
}

// statusOf maps an engine error kind to an HTTP status.
func statusOf(k engine.Kind) int {
	switch k {
	case engine.KindBadInput:
		return http.StatusBadRequest
	case engine.KindNoConsent:
		return http.StatusForbidden
	case engine.KindNotFound:
		return http.StatusNotFound
	case engine.KindLocked, engine.KindCanceled:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// engineError answers with the engine's error. Unclassified errors are
// logged and answered with a generic message: their text may hold SQL or
// paths that are nobody's business.
func (s *Server) engineError(w http.ResponseWriter, r *http.Request, err error) {
	k := engine.KindOf(err)
	status := statusOf(k)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, status, "internal error; the server log has the details", k.String())
		return
	}
	writeError(w, status, err.Error(), k.String())
}

// decodeBody decodes a JSON request body into v, refusing unknown fields
// and trailing data. It writes the error response itself and returns false
// on failure.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit), "bad input")
		return false
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	writeError(w, http.StatusBadRequest, "request body: "+err.Error(), "bad input")
	return false
}

// RecommendationsResponse is the body of GET /v1/customers/{id}/recommendations.
type RecommendationsResponse struct {
	CustomerID      string                  `json:"customer_id"`
	Recommendations []engine.Recommendation `json:"recommendations"`
}

func (s *Server) recommendations(w http.ResponseWriter, r *http.Request, id string, _ principal) {
	n := 10
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		if err != nil || n < 1 || n > s.opt.MaxRecommendations {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("n must be a whole number from 1 to %d", s.opt.MaxRecommendations), "bad input")
			return
		}
	}
	recs, err := s.e.Recommend(r.Context(), id, n)
	if err != nil {
		s.engineError(w, r, err)
		return
	}
	if recs == nil {
		recs = []engine.Recommendation{}
	}
	writeJSON(w, http.StatusOK, RecommendationsResponse{CustomerID: id, Recommendations: recs})
}

func (s *Server) scores(w http.ResponseWriter, r *http.Request, id string, _ principal) {
	cs, err := s.e.Scores(r.Context(), id)
	if err != nil {
		s.engineError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, id string, _ principal) {
	x, err := s.e.Export(r.Context(), id)
	if err != nil {
		s.engineError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// ConsentRequest is the body of POST /v1/customers/{id}/consents.
type ConsentRequest struct {
	Purpose string `json:"purpose"`          // "analytics" or "personalization"
	Granted *bool  `json:"granted"`          // required: true grants, false revokes
	Source  string `json:"source,omitempty"` // kept in the ledger; "" records who called
}

// ConsentResponse is the answer to POST /v1/customers/{id}/consents.
type ConsentResponse struct {
	CustomerID string `json:"customer_id"`
	Purpose    string `json:"purpose"`
	Granted    bool   `json:"granted"`
	// Erased is, for a revocation, the rows erased per table.
	Erased map[string]int64 `json:"erased,omitempty"`
}

func (s *Server) consent(w http.ResponseWriter, r *http.Request, id string, p principal) {
	var req ConsentRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if req.Granted == nil {
		writeError(w, http.StatusBadRequest, `request body: "granted" (true or false) is required`, "bad input")
		return
	}
	if req.Source == "" {
		req.Source = "http api (operator)"
		if !p.operator {
			req.Source = "http api (customer)"
		}
	}
	resp := ConsentResponse{CustomerID: id, Purpose: req.Purpose, Granted: *req.Granted}
	if *req.Granted {
		if err := s.e.Grant(r.Context(), id, req.Purpose, req.Source); err != nil {
			s.engineError(w, r, err)
			return
		}
	} else {
		res, err := s.e.Revoke(r.Context(), id, req.Purpose, req.Source)
		if err != nil {
			s.engineError(w, r, err)
			return
		}
		resp.Erased = res.Erased
	}
	writeJSON(w, http.StatusOK, resp)
}

// TokenResponse is the answer to POST /v1/customers/{id}/token.
type TokenResponse struct {
	CustomerID string `json:"customer_id"`
	Token      string `json:"token"`
}

func (s *Server) mintToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	writeJSON(w, http.StatusOK, TokenResponse{CustomerID: id, Token: CustomerToken(s.key, id)})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
