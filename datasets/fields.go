package datasets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file parses field values shared by the formats: times, ratings and
// other numbers. Each parser returns a short lower-case reason instead of
// an error, ready for a [Reject].

// clock bounds event times: nothing before 1970, nothing more than a day
// after the read started.
type clock struct{ limit int64 }

func newClock() clock { return clock{limit: time.Now().Add(24 * time.Hour).UnixMicro()} }

// check returns a reason when at (microseconds) is absurd, quoting text.
func (c clock) check(at int64, text string) string {
	switch {
	case at < 0:
		return fmt.Sprintf("time %q is before 1970", text)
	case at > c.limit:
		return fmt.Sprintf("time %q is more than a day in the future", text)
	}
	return ""
}

// parseTime reads an event time: RFC 3339 / ISO 8601 (`2024-05-01T12:00:00Z`,
// with optional fraction and offset), `2024-05-01 12:00:00` (UTC), a date
// (`2024-05-01`, midnight UTC) or Unix seconds (`1714564800`, optionally
// with a fraction). It returns microseconds since the epoch, or a reason.
// Times before 1970 or more than a day in the future are refused.
func (c clock) parseTime(s string) (int64, string) {
	s = strings.TrimSpace(s)
	at, ok := parseTimeText(s)
	if !ok {
		return 0, fmt.Sprintf("time %q is not a date, an ISO 8601 time or Unix seconds", s)
	}
	if r := c.check(at, s); r != "" {
		return 0, r
	}
	return at, ""
}

// parseTimeText is parseTime without the range check.
func parseTimeText(s string) (int64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	if s[0] == '-' || isDigit(s[0]) && (len(s) < 5 || s[4] != '-') {
		return parseUnixSeconds(s)
	}
	if at, ok := parseISOFast(s); ok {
		return at, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMicro(), true
	}
	return 0, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseUnixSeconds reads [-]digits[.digits] as seconds since the epoch.
func parseUnixSeconds(s string) (int64, bool) {
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) == 0 || len(intPart) > 12 || hasFrac && len(frac) == 0 {
		return 0, false
	}
	var sec int64
	for i := 0; i < len(intPart); i++ {
		if !isDigit(intPart[i]) {
			return 0, false
		}
		sec = sec*10 + int64(intPart[i]-'0')
	}
	var us int64
	for i := 0; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return 0, false
		}
		if i < 6 {
			us = us*10 + int64(frac[i]-'0')
		}
	}
	for i := len(frac); i < 6; i++ {
		us *= 10
	}
	at := sec*1_000_000 + us
	if neg {
		at = -at
	}
	return at, true
}

// num reads a fixed-width decimal number from s[i:i+n].
func num(s string, i, n int) (int64, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v int64
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// parseISOFast reads YYYY-MM-DD, optionally followed by T or a space,
// hh:mm[:ss[.fraction]] and Z, ±hh:mm, ±hhmm or nothing (UTC).
func parseISOFast(s string) (int64, bool) {
	y, ok1 := num(s, 0, 4)
	m, ok2 := num(s, 5, 2)
	d, ok3 := num(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	days := daysFromCivil(y, m, d)
	at := days * 86400 * 1_000_000
	if len(s) == 10 {
		return at, true
	}
	if s[10] != 'T' && s[10] != ' ' {
		return 0, false
	}
	hh, ok1 := num(s, 11, 2)
	mm, ok2 := num(s, 14, 2)
	if !ok1 || !ok2 || s[13] != ':' || hh > 23 || mm > 59 {
		return 0, false
	}
	i := 16
	var ss, us int64
	if i < len(s) && s[i] == ':' {
		var ok bool
		if ss, ok = num(s, 17, 2); !ok || ss > 59 {
			return 0, false
		}
		i = 19
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			start := i
			for i < len(s) && isDigit(s[i]) {
				if i-start < 6 {
					us = us*10 + int64(s[i]-'0')
				}
				i++
			}
			if i == start {
				return 0, false
			}
			for k := i - start; k < 6; k++ {
				us *= 10
			}
		}
	}
	at += ((hh*60+mm)*60+ss)*1_000_000 + us
	switch rest := s[i:]; {
	case rest == "" || rest == "Z" || rest == "z":
		return at, true
	case len(rest) == 6 && rest[3] == ':' || len(rest) == 5:
		if rest[0] != '+' && rest[0] != '-' {
			return 0, false
		}
		oh, ok1 := num(rest, 1, 2)
		om, ok2 := num(rest, len(rest)-2, 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off := (oh*60 + om) * 60 * 1_000_000
		if rest[0] == '+' {
			return at - off, true
		}
		return at + off, true
	}
	return 0, false
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm, http://howardhinnant.github.io/date_algorithms.html).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseDateCompact reads YYYYMMDD as midnight UTC, in microseconds.
func parseDateCompact(s string) (int64, bool) {
	if len(s) != 8 {
		return 0, false
	}
	y, ok1 := num(s, 0, 4)
	m, ok2 := num(s, 4, 2)
	d, ok3 := num(s, 6, 2)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d) * 86400 * 1_000_000, true
}

// parseNumber reads a finite decimal number.
func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// rating reads s as a rating on sc, or returns a reason.
func (sc *Scale) rating(s string) (float64, string) {
	v, ok := parseNumber(s)
	if !ok {
		return 0, fmt.Sprintf("rating %q is not a number", s)
	}
	if v < sc.Min || v > sc.Max {
		return 0, fmt.Sprintf("rating %s is outside the scale %s–%s", s, fmtNum(sc.Min), fmtNum(sc.Max))
	}
	if sc.Step > 0 {
		k := (v - sc.Min) / sc.Step
		if math.Abs(k-math.Round(k)) > 1e-9 {
			return 0, fmt.Sprintf("rating %s is not a step of %s on the scale %s–%s", s, fmtNum(sc.Step), fmtNum(sc.Min), fmtNum(sc.Max))
		}
	}
	return v, ""
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// The rating scales of the sources custnet reads.
var (
	scaleStars     = Scale{Min: 1, Max: 5, Step: 1}
	scaleHalfStars = Scale{Min: 0.5, Max: 5, Step: 0.5}
	scaleFilmTrust = Scale{Min: 0.5, Max: 4, Step: 0.5}
)
