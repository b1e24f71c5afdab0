package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// principal is who a request acts as: the operator, or one customer.
type principal struct {
	operator bool
	customer string
}

// CustomerToken returns the token that lets its bearer read and change
// customer's own data on a server with this key:
// customer + "." + hex(HMAC-SHA256(key, customer)).
func CustomerToken(key []byte, customer string) string {
	return customer + "." + hex.EncodeToString(customerMAC(key, customer))
}

func customerMAC(key []byte, customer string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(customer))
	return m.Sum(nil)
}

// authenticate reads the bearer token of r. ok is false when it is missing
// or invalid.
func (s *Server) authenticate(r *http.Request) (p principal, ok bool) {
	if s.opt.InsecureNoAuth {
		return principal{operator: true}, true
	}
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || tok == "" {
		return p, false
	}
	// Compare digests so that neither the content nor the length of the
	// operator token leaks through timing.
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(s.opt.OperatorToken))
	if hmac.Equal(got[:], want[:]) {
		return principal{operator: true}, true
	}
	i := strings.LastIndexByte(tok, '.')
	if i <= 0 || len(tok)-i-1 != 2*sha256.Size {
		return p, false
	}
	mac, err := hex.DecodeString(tok[i+1:])
	if err != nil {
		return p, false
	}
	id := tok[:i]
	if !hmac.Equal(mac, customerMAC(s.key, id)) {
		return p, false
	}
	return principal{customer: id}, true
}

// Bodies of authentication failures: the same for every route and
// customer, so they reveal nothing.
const (
	msgUnauthorized = "missing or invalid bearer token"
	msgForbidden    = "this token does not give access to this resource"
)

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="custnet"`)
	writeError(w, http.StatusUnauthorized, msgUnauthorized, "auth")
}

func forbidden(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, msgForbidden, "auth")
}

// customerOnly wraps h for a /v1/customers/{id}/... route: the operator or
// that customer's token may call it.
func (s *Server) customerOnly(h func(w http.ResponseWriter, r *http.Request, id string, p principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(r)
		if !ok {
			unauthorized(w)
			return
		}
		id := r.PathValue("id")
		if !p.operator && p.customer != id {
			forbidden(w)
			return
		}
		h(w, r, id, p)
	}
}

// operatorOnly wraps h for a route only the operator may call.
func (s *Server) operatorOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(r)
		if !ok {
			unauthorized(w)
			return
		}
		if !p.operator {
			forbidden(w)
			return
		}
		h(w, r)
	}
}
