package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// daysFlag is a duration flag that also takes days and weeks: "90d", "2w",
// "36h", "1h30m". Go's own durations stop at hours.
type daysFlag struct{ d *time.Duration }

func (f daysFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0"
	}
	if *f.d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(*f.d/(24*time.Hour)), 10) + "d"
	}
	return f.d.String()
}

func (f daysFlag) Set(s string) error {
	d, err := parseDays(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (daysFlag) Type() string { return "duration" }

func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%q is not a duration like 90d, 2w or 36h", s)
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like 90d, 2w or 36h", s)
	}
	return d, nil
}
