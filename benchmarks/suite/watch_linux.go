package suite

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// watchRSS polls the resident set of process pid once a second and kills
// it when it passes capMB. It returns a function that stops watching and
// says why the process was killed, "" when it was not.
func watchRSS(pid int, capMB float64) func() string {
	done := make(chan struct{})
	why := make(chan string, 1)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				why <- ""
				return
			case <-t.C:
				if mb := vmRSSMB(pid); mb > capMB {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
					why <- fmt.Sprintf("killed: resident set %.0f MB passed the %.0f MB cap (--max-rss)", mb, capMB)
					<-done
					return
				}
			}
		}
	}()
	return func() string { close(done); return <-why }
}

// vmRSSMB reads a process's current resident set from /proc, 0 when it
// cannot.
func vmRSSMB(pid int) float64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "VmRSS" {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
