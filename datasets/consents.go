package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Purposes are the consent purposes custnet knows: analytics gates storage,
// graphs, scores and reports; personalization gates recommendations.
var Purposes = []string{"analytics", "personalization"}

// ValidPurpose reports whether p is one of [Purposes].
func ValidPurpose(p string) bool {
	for _, q := range Purposes {
		if p == q {
			return true
		}
	}
	return false
}

// ReadConsents reads a consents CSV file with the header
// customer_id,purpose,granted,at[,source] and calls emit for each record in
// file order. granted is true/false (also 1/0, yes/no, granted/refused,
// revoked); at is RFC 3339 or a date. Consent is too important to guess, so
// unlike events, any bad line stops the read with an [InputError] naming the
// line; the engine then stores nothing of the batch.
func ReadConsents(ctx context.Context, path string, emit func(Consent) error) (SourceFile, error) {
	sf := SourceFile{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return sf, &InputError{File: path, Reason: "cannot open consents file", Err: err}
	}
	defer f.Close()
	h := sha256.New()
	cr := &consentByteCounter{r: io.TeeReader(f, h)}
	r := csv.NewReader(cr)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return sf, &InputError{File: path, Reason: "file is empty"}
	}
	if err != nil {
		return sf, csvErr(path, err)
	}
	col := map[string]int{}
	for i, name := range header {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		switch name {
		case "customer_id", "purpose", "granted", "at", "source":
			col[name] = i
		default:
			return sf, &InputError{File: path, Line: 1, Reason: fmt.Sprintf("unknown column %q (want customer_id,purpose,granted,at[,source])", name)}
		}
	}
	for _, need := range []string{"customer_id", "purpose", "granted", "at"} {
		if _, ok := col[need]; !ok {
			return sf, &InputError{File: path, Line: 1, Reason: fmt.Sprintf("missing column %q", need)}
		}
	}
	var rows int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return sf, csvErr(path, err)
		}
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return sf, err
			}
		}
		rows++
		if len(rec) != len(header) {
			return sf, &InputError{File: path, Line: int64(line), Reason: fmt.Sprintf("%d fields, want %d", len(rec), len(header))}
		}
		c := Consent{Customer: strings.TrimSpace(rec[col["customer_id"]]), Purpose: strings.TrimSpace(rec[col["purpose"]]), Source: "consents file " + path}
		if c.Customer == "" {
			return sf, &InputError{File: path, Line: int64(line), Reason: "empty customer_id"}
		}
		if !ValidPurpose(c.Purpose) {
			return sf, &InputError{File: path, Line: int64(line), Reason: fmt.Sprintf("purpose %q is not one of %s", c.Purpose, strings.Join(Purposes, ", "))}
		}
		g, ok := parseGranted(rec[col["granted"]])
		if !ok {
			return sf, &InputError{File: path, Line: int64(line), Reason: fmt.Sprintf("granted %q is not true or false", rec[col["granted"]])}
		}
		c.Granted = g
		at, ok := parseConsentTime(strings.TrimSpace(rec[col["at"]]))
		if !ok {
			return sf, &InputError{File: path, Line: int64(line), Reason: fmt.Sprintf("at %q is not an RFC 3339 time or a date", rec[col["at"]])}
		}
		c.At = at
		if i, ok := col["source"]; ok && strings.TrimSpace(rec[i]) != "" {
			c.Source = strings.TrimSpace(rec[i])
		}
		if err := emit(c); err != nil {
			return sf, err
		}
	}
	if rows == 0 {
		return sf, &InputError{File: path, Reason: "no data rows after the header"}
	}
	sf.SHA256 = hex.EncodeToString(h.Sum(nil))
	sf.Bytes = cr.n
	return sf, nil
}

func csvErr(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: path, Line: int64(pe.Line), Reason: pe.Err.Error()}
	}
	return &InputError{File: path, Reason: "read failed", Err: err}
}

func parseGranted(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "granted", "t", "y":
		return true, true
	case "false", "0", "no", "refused", "revoked", "f", "n":
		return false, true
	}
	return false, false
}

func parseConsentTime(s string) (int64, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), true
		}
	}
	return 0, false
}

type consentByteCounter struct {
	r io.Reader
	n int64
}

func (c *consentByteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
