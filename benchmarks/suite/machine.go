package suite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/custnet/custnet/engine"
)

// Machine describes where a report was measured.
type Machine struct {
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	CPU    string `json:"cpu,omitempty"`
	Cores  int    `json:"cores"`
	RAMMB  int64  `json:"ram_mb,omitempty"`
	Go     string `json:"go"`
	DuckDB string `json:"duckdb,omitempty"`
}

// String is the report's machine line.
func (m Machine) String() string {
	s := fmt.Sprintf("%s/%s, %d cores", m.OS, m.Arch, m.Cores)
	if m.CPU != "" {
		s += " (" + m.CPU + ")"
	}
	if m.RAMMB > 0 {
		s += fmt.Sprintf(", %.1f GB RAM", float64(m.RAMMB)/1024)
	}
	s += ", " + m.Go
	if m.DuckDB != "" {
		s += ", DuckDB " + m.DuckDB
	}
	return s
}

func machine(ctx context.Context) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU(), Go: runtime.Version()}
	m.CPU, m.RAMMB = procInfo()
	if e, err := engine.Open(ctx, engine.Options{}); err == nil {
		_ = e.QueryArrow(ctx, `SELECT version()`, func(rr array.RecordReader) error {
			for rr.Next() {
				if c, ok := rr.RecordBatch().Column(0).(*array.String); ok && c.Len() > 0 {
					m.DuckDB = strings.Clone(c.Value(0)) // Value points into the batch's buffer
				}
			}
			return nil
		})
		e.Close()
	}
	return m
}

// procInfo reads the CPU model and total RAM on Linux; elsewhere it
// returns zero values.
func procInfo() (cpu string, ramMB int64) {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				ramMB = kb / 1024
				break
			}
		}
		f.Close()
	}
	return cpu, ramMB
}
